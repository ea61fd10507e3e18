"""Blob storage for uploaded originals, reports and version snapshots.

`BlobStore` is the port; `LocalBlobStore` keeps blobs as files under a root folder. Keys are
relative POSIX paths ("versions/12/originals.zip"). Writes go to a temporary file first and
are renamed into place, so a reader (or a crash) never sees half a blob. Blobs are files
only their owner may read (0600) in folders only their owner may enter (0700). An
S3-compatible store can implement the same protocol.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Protocol

from rosterport.errors import RosterportError
from rosterport.files import PRIVATE_FOLDER, make_private, private_folder


class BlobNotFoundError(RosterportError):
    """A blob key that does not exist."""


class BlobStore(Protocol):
    """Where rosterport keeps files."""

    def put(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, source: Path) -> None: ...

    def put_with(self, key: str, write: Callable[[Path], None]) -> None: ...

    def get(self, key: str) -> bytes: ...

    def path(self, key: str) -> Path: ...

    def exists(self, key: str) -> bool: ...

    def delete_prefix(self, prefix: str) -> None: ...

    def move_prefix(self, source: str, target: str) -> None: ...

    def link(self, source: str, target: str) -> None: ...

    def keys(self, prefix: str) -> Iterator[str]: ...


class LocalBlobStore:
    """Blobs as files under `root` (the data dir's `blobs/` folder by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        private_folder(self.root)

    def _file(self, key: str) -> Path:
        relative = PurePosixPath(key)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"invalid blob key {key!r}")
        return self.root.joinpath(*relative.parts)

    def _folder_of(self, target: Path) -> None:
        """Create the folders of `target` below the root, each 0700."""
        missing = []
        folder = target.parent
        while folder != self.root and not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            folder.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, atomically."""
        target = self._file(key)
        self._folder_of(target)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        make_private(Path(handle.name))
        os.replace(handle.name, target)

    def put_file(self, key: str, source: Path) -> None:
        """Store a copy of the file at `source` under `key`, atomically."""
        target = self._file(key)
        self._folder_of(target)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            with source.open("rb") as reader:
                shutil.copyfileobj(reader, handle, 1 << 20)
            handle.flush()
            os.fsync(handle.fileno())
        make_private(Path(handle.name))
        os.replace(handle.name, target)

    def put_with(self, key: str, write: Callable[[Path], None]) -> None:
        """Store what `write` writes to the path it is given (a temporary file that becomes
        the blob atomically): polars writes Parquet straight into the store."""
        target = self._file(key)
        self._folder_of(target)
        handle, name = tempfile.mkstemp(dir=target.parent)
        os.close(handle)
        try:
            write(Path(name))
            make_private(Path(name))  # the writer may have made the file anew
            os.replace(name, target)
        finally:
            if os.path.exists(name):
                os.unlink(name)

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`."""
        try:
            return self._file(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFoundError(f"no blob {key!r}") from None

    def path(self, key: str) -> Path:
        """A local path to read the blob from (polars reads Parquet snapshots from it)."""
        file = self._file(key)
        if not file.exists():
            raise BlobNotFoundError(f"no blob {key!r}")
        return file

    def exists(self, key: str) -> bool:
        return self._file(key).exists()

    def delete_prefix(self, prefix: str) -> None:
        """Delete every blob under `prefix` (a folder), or the blob `prefix` itself."""
        folder = self._file(prefix)
        if folder.is_dir():
            shutil.rmtree(folder)
        elif folder.exists():
            folder.unlink()

    def move_prefix(self, source: str, target: str) -> None:
        """Move every blob under `source` to `target` (one rename: atomic, no copy)."""
        destination = self._file(target)
        self._folder_of(destination)
        os.replace(self._file(source), destination)

    def link(self, source: str, target: str) -> None:
        """Make `target` hold the bytes of `source` now (a hard link: no copy; replacing
        `source` later does not change `target`)."""
        destination = self._file(target)
        self._folder_of(destination)
        destination.unlink(missing_ok=True)
        os.link(self._file(source), destination)

    def keys(self, prefix: str) -> Iterator[str]:
        """Keys under `prefix`, sorted."""
        folder = self._file(prefix)
        if not folder.exists():
            return
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            yield file.relative_to(self.root).as_posix()
