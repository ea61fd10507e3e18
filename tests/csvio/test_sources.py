"""Where uploads come from: folders, zips (defensively), single files."""

from __future__ import annotations

import struct
import time
import warnings
import zipfile
from pathlib import Path

import pytest

from rosterport.csvio.sources import ZipLimits, read_source, read_zip
from rosterport.errors import ArchiveError, InputError

SCHOOLS = b"School_id,School_name\nS1,One\n"
STUDENTS = b"School_id,Student_id,First_name,Last_name\nS1,1,Ann,Lee\n"


def make_zip(
    path: Path,
    entries: dict[str, bytes],
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def names(paths: list[Path], limits: ZipLimits | None = None) -> list[str]:
    return [f.name for f in read_source(paths, limits).files]


# -- folders and single files -----------------------------------------------------------------


def test_folder_files_in_name_order_skipping_dotfiles(tmp_path: Path) -> None:
    (tmp_path / "students.csv").write_bytes(STUDENTS)
    (tmp_path / "schools.csv").write_bytes(SCHOOLS)
    (tmp_path / ".DS_Store").write_bytes(b"\0\0")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "._students.csv").write_bytes(b"\0")
    source = read_source([tmp_path])
    assert [(f.name, f.data) for f in source.files] == [
        ("schools.csv", SCHOOLS),
        ("students.csv", STUDENTS),
    ]


def test_single_files_keep_the_order_given(tmp_path: Path) -> None:
    (tmp_path / "students.csv").write_bytes(STUDENTS)
    (tmp_path / "schools.csv").write_bytes(SCHOOLS)
    paths = [tmp_path / "students.csv", tmp_path / "schools.csv"]
    assert names(paths) == ["students.csv", "schools.csv"]


def test_zip_inside_a_folder_is_opened(tmp_path: Path) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    make_zip(folder / "district.zip", {"schools.csv": SCHOOLS, "students.csv": STUDENTS})
    assert names([folder]) == ["schools.csv", "students.csv"]


def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_source([tmp_path / "nowhere"])


def test_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty folder"):
        read_source([tmp_path])


# -- zip layouts ------------------------------------------------------------------------------


def test_zip_with_files_at_its_root(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "u.zip", {"schools.csv": SCHOOLS, "students.csv": STUDENTS})
    source = read_source([archive])
    assert [(f.name, f.data) for f in source.files] == [
        ("schools.csv", SCHOOLS),
        ("students.csv", STUDENTS),
    ]
    assert source.notes == ()


def test_zip_with_one_wrapping_folder(tmp_path: Path) -> None:
    entries = {"district/schools.csv": SCHOOLS, "district/students.csv": STUDENTS}
    source = read_zip(make_zip(tmp_path / "u.zip", entries))
    assert [f.name for f in source.files] == ["schools.csv", "students.csv"]
    assert source.notes == ("u.zip: read the files inside the folder district/",)


def test_zip_made_on_a_mac_skips_macosx_and_dotfiles(tmp_path: Path) -> None:
    entries = {
        "district/schools.csv": SCHOOLS,
        "district/.DS_Store": b"\0",
        "__MACOSX/district/._schools.csv": b"\0\0",
        "district/students.csv": STUDENTS,
    }
    source = read_zip(make_zip(tmp_path / "u.zip", entries))
    assert [(f.name, f.data) for f in source.files] == [
        ("schools.csv", SCHOOLS),
        ("students.csv", STUDENTS),
    ]
    assert "u.zip: skipped __MACOSX/ and hidden entries" in source.notes


def test_zip_files_below_the_root_are_skipped_with_a_note(tmp_path: Path) -> None:
    entries = {"schools.csv": SCHOOLS, "old/students.csv": STUDENTS}
    source = read_zip(make_zip(tmp_path / "u.zip", entries))
    assert [f.name for f in source.files] == ["schools.csv"]
    assert source.notes == ("u.zip: skipped old/students.csv (files must be at the root)",)


def test_zip_without_a_suffix_is_recognised(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "upload", {"schools.csv": SCHOOLS})
    assert names([archive]) == ["schools.csv"]


def test_zip_with_only_folders_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "u.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.mkdir("district")
    with pytest.raises(ArchiveError, match="contains no files"):
        read_zip(path)


# -- hostile and broken archives ------------------------------------------------------------


@pytest.mark.parametrize(
    "entry", ["../students.csv", "district/../../students.csv", "/etc/students.csv"]
)
def test_entries_escaping_the_folder_are_refused(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schools.csv", SCHOOLS)
        archive.writestr(zipfile.ZipInfo(entry), STUDENTS)  # ZipInfo keeps the name as given
    with pytest.raises(ArchiveError, match="points outside the archive"):
        read_source([path])


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    entries = {f"file{i}.csv": SCHOOLS for i in range(4)}
    archive = make_zip(tmp_path / "many.zip", entries)
    assert len(read_zip(archive, ZipLimits(entries=4)).files) == 4
    with pytest.raises(
        ArchiveError, match=r"4 entries \(files and folders\), more than the limit of 3"
    ):
        read_zip(archive, ZipLimits(entries=3))


def test_too_many_bytes_unpacked_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", {"a.csv": b"x" * 600, "b.csv": b"y" * 600})
    assert len(read_zip(archive, ZipLimits(total_bytes=1200)).files) == 2
    with pytest.raises(ArchiveError, match="would unpack to 1,200 bytes"):
        read_zip(archive, ZipLimits(total_bytes=1199))


def test_zip_bomb_compression_ratio_is_refused(tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", {"students.csv": b"0" * (2 * 1024**2)})
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_zip(bomb)  # the default limit already refuses ~1000:1
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_zip(bomb, ZipLimits(ratio=10))
    assert len(read_zip(bomb, ZipLimits(ratio=10_000)).files) == 1


def test_zip_bomb_inside_a_folder_upload_is_refused(tmp_path: Path) -> None:
    make_zip(tmp_path / "bomb.zip", {"students.csv": b"0" * (2 * 1024**2)})
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_source([tmp_path], ZipLimits(ratio=10))


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "upload.zip"
    path.write_bytes(SCHOOLS)
    with pytest.raises(ArchiveError, match="not a valid zip archive"):
        read_source([path])


def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    whole = make_zip(tmp_path / "whole.zip", {"schools.csv": SCHOOLS}).read_bytes()
    path = tmp_path / "cut.zip"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ArchiveError, match="not a valid zip archive"):
        read_zip(path)


def test_damaged_entry_is_refused_without_a_traceback(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "u.zip", {"schools.csv": SCHOOLS}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[data.index(b"School_id")] ^= 0x20  # the stored bytes no longer match their CRC
    path.write_bytes(bytes(data))
    (entry,) = read_zip(path).files  # entries are unpacked when read, one at a time
    with pytest.raises(ArchiveError, match=r"schools\.csv cannot be unpacked"):
        _ = entry.data


def test_encrypted_entry_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "u.zip", {"schools.csv": SCHOOLS})
    data = bytearray(path.read_bytes())
    data[6] |= 1  # local header: "encrypted" flag
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 1  # central directory: same flag
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="encrypted"):
        read_zip(path)


# -- whole-archive limits (adversarial pass, issue 10) ----------------------------------------


def unpack_like_the_server(archive: Path, into: Path, limits: ZipLimits | None = None) -> None:
    """What an upload does with a zip: read its entries and stream each one to storage."""
    into.mkdir()
    for file in read_zip(archive, limits).files:
        file.copy_into(into / file.name)


def disk_use(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_many_small_entries_of_zeros_are_refused_as_a_whole_archive_bomb(tmp_path: Path) -> None:
    # 990 entries of 1 MiB of zeros: ~1.1 MB of zip, ~1 GB unpacked; each entry stays under
    # the per-entry floor, so only the whole-archive ratio can see the bomb.
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        zeros = bytes(1024**2)
        for i in range(990):
            archive.writestr(f"file{i}.csv", zeros)
    assert bomb.stat().st_size < 2 * 1024**2
    started = time.monotonic()
    with pytest.raises(ArchiveError) as refused:
        unpack_like_the_server(bomb, tmp_path / "stored")
    assert time.monotonic() - started < 2
    assert disk_use(tmp_path / "stored") == 0
    assert str(refused.value).startswith("bomb.zip would unpack to 1,038,090,240 bytes, ")
    assert "times its own size (limit 200); this looks like a zip bomb" in str(refused.value)


def test_many_folders_count_as_entries(tmp_path: Path) -> None:
    path = tmp_path / "folders.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schools.csv", SCHOOLS)
        for i in range(100_000):
            archive.mkdir(f"folder{i}")
    started = time.monotonic()
    with pytest.raises(ArchiveError, match=r"100,001 entries \(files and folders\), more than"):
        read_zip(path)
    assert time.monotonic() - started < 1  # refused from the end record, before parsing


def test_a_table_of_contents_that_lies_about_its_entry_count_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "folders.zip"
    with zipfile.ZipFile(path, "w") as archive:  # fewer than 65,535 entries: no zip64 record
        archive.writestr("schools.csv", SCHOOLS)
        for i in range(20_000):
            archive.mkdir(f"folder{i}")
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    data[end + 8 : end + 12] = struct.pack("<HH", 1, 1)  # "1 entry", on this disk and in all
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match=r"table of contents of .* bytes, more than 1,000"):
        read_zip(path)


def test_folders_and_skipped_entries_count_towards_the_entry_limit(tmp_path: Path) -> None:
    path = tmp_path / "u.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.mkdir("district")
        archive.writestr("district/schools.csv", SCHOOLS)
        archive.writestr("__MACOSX/district/._schools.csv", b"\0")
    assert len(read_zip(path, ZipLimits(entries=3)).files) == 1
    with pytest.raises(ArchiveError, match=r"3 entries \(files and folders\), more than the lim"):
        read_zip(path, ZipLimits(entries=2))


def test_total_bytes_are_capped_for_the_whole_archive(tmp_path: Path) -> None:
    entries = {f"f{i}.csv": bytes(600) for i in range(3)}
    archive = make_zip(tmp_path / "u.zip", entries)
    with pytest.raises(ArchiveError, match="would unpack to 1,800 bytes, more than the limit"):
        read_zip(archive, ZipLimits(total_bytes=1000))


def test_an_entry_that_unpacks_to_more_than_it_declares_is_refused(tmp_path: Path) -> None:
    # 64 MiB of zeros declared as 64 KiB: the archive's sizes pass every check, so the
    # read itself must hold the entry to what it declared.
    path = make_zip(tmp_path / "liar.zip", {"students.csv": bytes(64 * 1024**2)})
    data = bytearray(path.read_bytes())
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = struct.pack("<L", 64 * 1024)
    data[central + 24 : central + 28] = struct.pack("<L", 64 * 1024)
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match=r"liar\.zip: entry students\.csv cannot be unpacked"):
        unpack_like_the_server(path, tmp_path / "stored")
    assert disk_use(tmp_path / "stored") <= 64 * 1024


def test_an_archive_swapped_after_it_was_checked_cannot_unpack_more(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "u.zip", {"students.csv": STUDENTS})
    (entry,) = read_zip(path).files
    make_zip(path, {"students.csv": bytes(8 * 1024**2)})  # replaced after the checks
    with pytest.raises(ArchiveError, match="unpacks to more bytes than the archive declares"):
        entry.copy_into(tmp_path / "students.csv")
    with pytest.raises(ArchiveError, match="unpacks to more bytes than the archive declares"):
        _ = entry.data
    assert (tmp_path / "students.csv").stat().st_size <= len(STUDENTS) + 1


def test_bzip2_and_lzma_entries_are_refused(tmp_path: Path) -> None:
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        path = make_zip(tmp_path / f"m{method}.zip", {"students.csv": STUDENTS}, method)
        with pytest.raises(ArchiveError, match=r"compression method.*Deflate"):
            read_zip(path)


# -- duplicate names ---------------------------------------------------------------------------


def test_two_entries_with_the_same_name_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(path, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns: "Duplicate name"
        archive.writestr("students.csv", STUDENTS)
        archive.writestr("students.csv", STUDENTS.replace(b"Ann", b"Eve"))
    with pytest.raises(ArchiveError) as refused:
        read_zip(path)
    assert str(refused.value) == (
        "twice.zip has two entries named students.csv (students.csv and students.csv); it is "
        "refused because only one can be read: keep one of them and create the zip again"
    )


def test_same_name_in_another_case_inside_the_wrapping_folder_is_refused(tmp_path: Path) -> None:
    entries = {"district/students.csv": STUDENTS, "district/Students.CSV": STUDENTS}
    with pytest.raises(ArchiveError, match=r"two entries named Students\.CSV \(district/stu"):
        read_zip(make_zip(tmp_path / "u.zip", entries))


def test_same_name_in_a_skipped_subfolder_is_not_a_duplicate(tmp_path: Path) -> None:
    entries = {"students.csv": STUDENTS, "old/students.csv": STUDENTS}
    assert [f.name for f in read_zip(make_zip(tmp_path / "u.zip", entries)).files] == [
        "students.csv"
    ]


def test_an_ordinary_large_upload_is_no_bomb(tmp_path: Path) -> None:
    rows = b"".join(
        f"S{i % 40},{i:09d},Name{i},Last{i * 7 % 997}\n".encode() for i in range(90_000)
    )
    archive = make_zip(tmp_path / "u.zip", {"schools.csv": SCHOOLS, "students.csv": rows})
    assert sum(i.file_size for i in zipfile.ZipFile(archive).infolist()) > 2 * 1024**2
    unpack_like_the_server(archive, tmp_path / "stored")
    assert (tmp_path / "stored" / "students.csv").read_bytes() == rows
