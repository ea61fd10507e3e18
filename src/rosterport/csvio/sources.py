"""Where uploads come from: a folder, a .zip, or single files → (name, bytes) pairs.

Zip archives are opened defensively; `ZipLimits` holds on the whole archive:

- the table of contents is checked before it is parsed: the end record may declare at most
  `entries` entries, and the table may take at most `_RECORD_BYTES` per allowed entry, so a
  huge table costs nothing to refuse;
- every entry counts against `entries`, folders and skipped entries included;
- the files' uncompressed sizes add up to at most `total_bytes`, and, past `RATIO_FLOOR`
  bytes, to at most `ratio` times the archive's own size on disk (a bomb made of many
  entries that are small each); one entry past `RATIO_FLOOR` may not expand more than
  `ratio` times either;
- those sizes are what the archive declares, so every read counts the bytes it really
  unpacks and refuses an entry the moment it yields more than its declared size: a pass over
  the files never unpacks more than was checked, even if the archive is swapped meanwhile;
- two entries with the same name once the wrapping folder is stripped (ignoring case, as
  file names are matched) are refused: which one counts would depend on who reads it;
- entries that would escape the folder, encrypted entries, and compression other than
  Deflate or none are refused (bzip2 and LZMA can expand without bound in a single read).

Each refusal is an `ArchiveError` saying what is wrong and how to make a good archive.
Files may sit at the root of the archive or inside one wrapping folder; `__MACOSX/` and
dotfiles are skipped.
"""

from __future__ import annotations

import os
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from rosterport.domain.names import clipped, folded
from rosterport.errors import ArchiveError, InputError

RATIO_FLOOR = 1024**2  # below this many unpacked bytes no ratio is checked (tiny zips vary)
_RECORD_BYTES = 1024  # table-of-contents bytes allowed per entry: 46 + name + extra fields
_READ_METHODS = {zipfile.ZIP_STORED: "no compression", zipfile.ZIP_DEFLATED: "Deflate"}
_END = struct.Struct("<4s4H2LH")  # end of central directory record
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Limits that protect the server from hostile archives (see the module docstring)."""

    entries: int = 1000
    total_bytes: int = 4 * 1024**3
    ratio: float = 200.0


class Readable(Protocol):
    """A binary stream to copy from (an open file, a zip entry)."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of an upload. Its bytes are read when asked for, one file at a time, so an
    upload never sits whole in memory while it is validated."""

    name: str
    load: Callable[[], bytes]
    # streams the bytes instead of loading them (zip entries): copying a large file to
    # storage then never holds it whole in memory
    opener: Callable[[], AbstractContextManager[Readable]] | None = None
    path: Path | None = None  # where the file is on disk, when it is: read from there

    @property
    def data(self) -> bytes:
        """The file's bytes (read again at each call: keep them only as long as needed)."""
        return self.load()

    def copy_into(self, target: Path) -> None:
        """Write the file's bytes to `target`, streaming them when the source can."""
        if self.opener is None:
            target.write_bytes(self.data)
            return
        with self.opener() as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)

    @classmethod
    def of(cls, name: str, data: bytes) -> SourceFile:
        """A file already in memory."""
        return cls(name, lambda: data)

    @classmethod
    def at(cls, name: str, path: Path) -> SourceFile:
        """A file on disk, read or streamed from `path` when asked."""

        def opener() -> BinaryIO:
            return path.open("rb")

        return cls(name, path.read_bytes, opener, path)


@dataclass(frozen=True, slots=True)
class Source:
    """The files of one upload and sentences about how they were found."""

    files: tuple[SourceFile, ...]
    notes: tuple[str, ...] = ()


def _skipped(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p == "__MACOSX" or p.startswith(".") for p in parts)


def read_source(paths: Iterable[Path], limits: ZipLimits | None = None) -> Source:
    """Files from folders, zips and single files, in the order given."""
    files: list[SourceFile] = []
    notes: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and not _skipped(p.name))
            if not found:
                raise InputError(f"{path} is an empty folder; put the CSV files in it")
            for child in found:
                if child.suffix.lower() == ".zip":
                    source = read_zip(child, limits)
                    files.extend(source.files)
                    notes.extend(source.notes)
                else:
                    files.append(SourceFile.at(child.name, child))
        elif path.is_file():
            if path.suffix.lower() == ".zip" or (zipfile.is_zipfile(path) and path.suffix == ""):
                source = read_zip(path, limits)
                files.extend(source.files)
                notes.extend(source.notes)
            else:
                files.append(SourceFile.at(path.name, path))
        else:
            raise InputError(f"{path} does not exist; give a folder, a .zip or CSV files")
    return Source(tuple(files), tuple(notes))


def read_zip(path: Path, limits: ZipLimits | None = None) -> Source:
    """The files of a zip archive (root or one wrapping folder), refusing hostile archives."""
    limits = limits or ZipLimits()
    with path.open("rb") as handle:
        declared = _declared_directory(handle)
    if declared is not None:
        _check_directory(path.name, *declared, limits)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ArchiveError(f"{path.name} is not a valid zip archive; create it again") from None
    with archive:
        everything = archive.infolist()
        _check_limits(path.name, everything, path.stat().st_size, limits)
        infos = [i for i in everything if not i.is_dir()]
        wanted = [i for i in infos if not _skipped(i.filename)]
        notes: list[str] = []
        if len(wanted) != len(infos):
            notes.append(f"{path.name}: skipped __MACOSX/ and hidden entries")
        prefix = _wrapping_folder(path.name, wanted)
        if prefix:
            notes.append(f"{path.name}: read the files inside the folder {prefix}/")
        named: list[tuple[str, zipfile.ZipInfo]] = []
        for info in wanted:
            name = info.filename.removeprefix(prefix + "/") if prefix else info.filename
            if "/" in name:
                notes.append(f"{path.name}: skipped {info.filename} (files must be at the root)")
                continue
            _refuse_encrypted(path.name, info)
            _refuse_compression(path.name, info)
            named.append((name, info))
        _refuse_duplicates(path.name, named)
    files = [
        SourceFile(
            name,
            partial(_unpack, path, info.filename, info.file_size),
            partial(_open_entry, path, info.filename, info.file_size),
        )
        for name, info in named
    ]
    if not files:
        raise ArchiveError(f"{path.name} contains no files; put the CSV files at its root")
    return Source(tuple(files), tuple(notes))


def _declared_directory(handle: BinaryIO) -> tuple[int, int] | None:
    """(entries, bytes) of the table of contents as the archive's end record declares them,
    read without parsing the table; None without an end record (then it is no zip)."""
    size = handle.seek(0, os.SEEK_END)
    start = max(0, size - _END.size - 0xFFFF)  # the record ends the file, or a comment does
    handle.seek(start)
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        return None
    fields = _END.unpack_from(tail, at)
    entries, table = int(fields[4]), int(fields[5])
    locator = at - _END64_LOCATOR.size
    if locator >= 0 and tail.startswith(b"PK\x06\x07", locator):
        handle.seek(int(_END64_LOCATOR.unpack_from(tail, locator)[2]))
        record = handle.read(_END64.size)
        if len(record) == _END64.size and record.startswith(b"PK\x06\x06"):
            big = _END64.unpack(record)
            entries, table = max(entries, int(big[7])), max(table, int(big[8]))
    return entries, table


def _too_many(name: str, entries: int, limits: ZipLimits) -> ArchiveError:
    return ArchiveError(
        f"{name} has {entries:,} entries (files and folders), more than the limit of "
        f"{limits.entries:,}; upload only the CSV files"
    )


def _check_directory(name: str, entries: int, table: int, limits: ZipLimits) -> None:
    if entries > limits.entries:
        raise _too_many(name, entries, limits)
    if table > limits.entries * _RECORD_BYTES:
        raise ArchiveError(
            f"{name} has a table of contents of {table:,} bytes, more than {limits.entries:,} "
            "entries need; it is refused: upload only the CSV files, in a zip made again"
        )


def _check_limits(
    name: str, infos: list[zipfile.ZipInfo], archive_bytes: int, limits: ZipLimits
) -> None:
    if len(infos) > limits.entries:
        raise _too_many(name, len(infos), limits)
    for info in infos:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            raise ArchiveError(
                f"{name} has an entry {clipped(info.filename)!r} that points outside the "
                "archive's folder; it is refused (create the zip from the folder of CSV files)"
            )
    files = [i for i in infos if not i.is_dir()]
    total = sum(i.file_size for i in files)
    if total > limits.total_bytes:
        raise ArchiveError(
            f"{name} would unpack to {total:,} bytes, more than the limit of "
            f"{limits.total_bytes:,}; split the upload"
        )
    for info in files:
        compressed = max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and info.file_size / compressed > limits.ratio:
            raise ArchiveError(
                f"{name}: entry {clipped(info.filename)} expands "
                f"{info.file_size / compressed:.0f} times (limit {limits.ratio:.0f}); this "
                "looks like a zip bomb and is refused"
            )
    if total > RATIO_FLOOR and total / max(archive_bytes, 1) > limits.ratio:
        raise ArchiveError(
            f"{name} would unpack to {total:,} bytes, {total / max(archive_bytes, 1):.0f} times "
            f"its own size (limit {limits.ratio:.0f}); this looks like a zip bomb and is refused"
        )


def _refuse_encrypted(name: str, info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise ArchiveError(
            f"{name}: entry {clipped(info.filename)} is encrypted; create the zip again "
            "without a password"
        )


def _refuse_compression(name: str, info: zipfile.ZipInfo) -> None:
    if info.compress_type not in _READ_METHODS:
        raise ArchiveError(
            f"{name}: entry {clipped(info.filename)} uses a compression method rosterport "
            "does not read; create the zip again with the standard one (Deflate), as "
            "Windows, macOS and Excel do"
        )


def _refuse_duplicates(name: str, named: list[tuple[str, zipfile.ZipInfo]]) -> None:
    seen: dict[str, zipfile.ZipInfo] = {}
    for file, info in named:
        first = seen.setdefault(folded(file), info)
        if first is not info:
            raise ArchiveError(
                f"{name} has two entries named {clipped(file)} ({clipped(first.filename)} and "
                f"{clipped(info.filename)}); it is refused because only one can be read: "
                "keep one of them and create the zip again"
            )


class _Counted:
    """An entry's stream that counts what it unpacks and refuses to yield more bytes than
    the archive declared for the entry (the size the limits were checked against)."""

    def __init__(self, stream: Readable, archive: str, entry: str, declared: int) -> None:
        self._stream = stream
        self._archive = archive
        self._entry = entry
        self._left = declared

    def read(self, size: int = -1, /) -> bytes:
        wanted = self._left + 1 if size < 0 else min(size, self._left + 1)
        data = self._stream.read(wanted)
        self._left -= len(data)
        if self._left < 0:
            raise ArchiveError(
                f"{self._archive}: entry {clipped(self._entry)} unpacks to more bytes than "
                "the archive declares; it is refused (create the zip again)"
            )
        return data


def _unpack(path: Path, entry: str, declared: int) -> bytes:
    """One entry's bytes; a damaged or oddly compressed entry is an ArchiveError."""
    with _open_entry(path, entry, declared) as handle:
        return handle.read()


@contextmanager
def _open_entry(path: Path, entry: str, declared: int) -> Iterator[_Counted]:
    """One entry as a counted stream; a damaged or changed entry is an ArchiveError."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(entry) as handle:
            yield _Counted(handle, path.name, entry, declared)
    except KeyError:
        raise ArchiveError(
            f"{path.name}: entry {clipped(entry)} is no longer in the archive; upload it again"
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        raise ArchiveError(
            f"{path.name}: entry {clipped(entry)} cannot be unpacked: it is damaged (its "
            "bytes do not match their checksum or size); create the zip again"
        ) from None


def _wrapping_folder(name: str, infos: list[zipfile.ZipInfo]) -> str:
    """The single folder that wraps every file, or "" when files are at the root."""
    tops = {PurePosixPath(i.filename).parts[0] for i in infos}
    nested = all(len(PurePosixPath(i.filename).parts) > 1 for i in infos)
    if len(tops) == 1 and nested:
        return tops.pop()
    del name
    return ""
