"""Where uploads come from: a folder, a .zip, or single files → (name, bytes) pairs.

Zip archives are opened defensively: entries that would escape the folder, more entries than
`ZipLimits.entries`, more uncompressed bytes than `ZipLimits.total_bytes`, or an entry whose
compression ratio exceeds `ZipLimits.ratio` (a zip bomb) are refused with a clear error.
Files may sit at the root of the archive or inside one wrapping folder; `__MACOSX/` and
dotfiles are skipped.
"""

from __future__ import annotations

import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from rosterport.errors import ArchiveError, InputError


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Limits that protect the server from hostile archives."""

    entries: int = 1000
    total_bytes: int = 4 * 1024**3
    ratio: float = 200.0


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of an upload. Its bytes are read when asked for, one file at a time, so an
    upload never sits whole in memory while it is validated."""

    name: str
    load: Callable[[], bytes]
    # streams the bytes instead of loading them (zip entries): copying a large file to
    # storage then never holds it whole in memory
    opener: Callable[[], AbstractContextManager[BinaryIO]] | None = None

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

        return cls(name, path.read_bytes, opener)


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
                    files.append(SourceFile(child.name, child.read_bytes))
        elif path.is_file():
            if path.suffix.lower() == ".zip" or (zipfile.is_zipfile(path) and path.suffix == ""):
                source = read_zip(path, limits)
                files.extend(source.files)
                notes.extend(source.notes)
            else:
                files.append(SourceFile(path.name, path.read_bytes))
        else:
            raise InputError(f"{path} does not exist; give a folder, a .zip or CSV files")
    return Source(tuple(files), tuple(notes))


def read_zip(path: Path, limits: ZipLimits | None = None) -> Source:
    """The files of a zip archive (root or one wrapping folder), refusing hostile archives."""
    limits = limits or ZipLimits()
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ArchiveError(f"{path.name} is not a valid zip archive; create it again") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        _check_limits(path.name, infos, limits)
        wanted = [i for i in infos if not _skipped(i.filename)]
        notes: list[str] = []
        if len(wanted) != len(infos):
            notes.append(f"{path.name}: skipped __MACOSX/ and hidden entries")
        prefix = _wrapping_folder(path.name, wanted)
        if prefix:
            notes.append(f"{path.name}: read the files inside the folder {prefix}/")
        files = []
        for info in wanted:
            name = info.filename.removeprefix(prefix + "/") if prefix else info.filename
            if "/" in name:
                notes.append(f"{path.name}: skipped {info.filename} (files must be at the root)")
                continue
            _refuse_encrypted(path.name, info)
            files.append(
                SourceFile(
                    name,
                    partial(_unpack, path, info.filename, limits),
                    partial(_open_entry, path, info.filename),
                )
            )
    if not files:
        raise ArchiveError(f"{path.name} contains no files; put the CSV files at its root")
    return Source(tuple(files), tuple(notes))


def _refuse_encrypted(name: str, info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise ArchiveError(
            f"{name}: entry {info.filename} is encrypted; create the zip again without a password"
        )


def _unpack(path: Path, entry: str, limits: ZipLimits) -> bytes:
    """One entry's bytes; a damaged or oddly compressed entry is an ArchiveError."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(entry) as handle:
            return handle.read(limits.total_bytes + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, KeyError) as error:
        raise ArchiveError(
            f"{path.name}: entry {entry} cannot be unpacked ({error}); create the zip again"
        ) from None


@contextmanager
def _open_entry(path: Path, entry: str) -> Iterator[BinaryIO]:
    """One entry as a stream; a damaged or oddly compressed entry is an ArchiveError."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(entry) as handle:
            yield handle  # type: ignore[misc]  # ZipExtFile is a readable binary stream
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, KeyError) as error:
        raise ArchiveError(
            f"{path.name}: entry {entry} cannot be unpacked ({error}); create the zip again"
        ) from None


def _check_limits(name: str, infos: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    if len(infos) > limits.entries:
        raise ArchiveError(
            f"{name} has {len(infos)} entries, more than the limit of {limits.entries}; "
            "upload only the CSV files"
        )
    total = sum(i.file_size for i in infos)
    if total > limits.total_bytes:
        raise ArchiveError(
            f"{name} would unpack to {total:,} bytes, more than the limit of "
            f"{limits.total_bytes:,}; split the upload"
        )
    for info in infos:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            raise ArchiveError(
                f"{name} has an entry {info.filename!r} that points outside the archive's "
                "folder; it is refused (create the zip from the folder of CSV files)"
            )
        compressed = max(info.compress_size, 1)
        if info.file_size > 1024**2 and info.file_size / compressed > limits.ratio:
            raise ArchiveError(
                f"{name}: entry {info.filename} expands {info.file_size / compressed:.0f} times "
                f"(limit {limits.ratio:.0f}); this looks like a zip bomb and is refused"
            )


def _wrapping_folder(name: str, infos: list[zipfile.ZipInfo]) -> str:
    """The single folder that wraps every file, or "" when files are at the root."""
    tops = {PurePosixPath(i.filename).parts[0] for i in infos}
    nested = all(len(PurePosixPath(i.filename).parts) > 1 for i in infos)
    if len(tops) == 1 and nested:
        return tops.pop()
    del name
    return ""
