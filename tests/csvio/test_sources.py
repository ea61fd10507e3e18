"""Where uploads come from: folders, zips (defensively), single files."""

from __future__ import annotations

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
    with pytest.raises(ArchiveError, match="4 entries, more than the limit of 3"):
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
