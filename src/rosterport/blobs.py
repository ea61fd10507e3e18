"""Blob storage for uploaded originals, reports and version snapshots.

`BlobStore` is the port: a plain object store (put, get, stream, list by prefix, copy,
delete), with no notion of a local path that outlives a call. `LocalBlobStore` keeps blobs
as files under a root folder; `rosterport.s3blobs.S3BlobStore` keeps them in an S3 (or
S3-compatible) bucket. Keys are relative POSIX paths, built by `rosterport.blob_keys`.

A writer never exposes half a blob: the local store writes a temporary file and renames it
into place, S3 makes an object visible only once its (multipart) upload completes. Local
blobs are files only their owner may read (0600) in folders only their owner may enter
(0700).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from rosterport.errors import BlobNotFoundError, InputError, StorageUnavailableError
from rosterport.files import PRIVATE_FOLDER, make_private, private_folder

__all__ = ["BlobNotFoundError", "BlobStore", "LocalBlobStore", "check_key"]


class BlobStore(Protocol):
    """Where rosterport keeps files (the port every service uses, through `Hub.blobs`)."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (replacing what was there), all or nothing."""
        ...

    def put_file(self, key: str, source: Path) -> None:
        """Store a copy of the local file `source` under `key`, streamed."""
        ...

    def put_with(self, key: str, write: Callable[[Path], None]) -> None:
        """Store what `write` writes to the (temporary, local) path it is given: polars writes
        Parquet, a ZIP is unpacked, straight into the store."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under `key` (BlobNotFoundError when there are none): small blobs
        only; stream large ones with `open`."""
        ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """The blob as a binary stream, read a part at a time."""
        ...

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        """A local file holding the blob's bytes for the `with` block only, to read (polars
        scans Parquet and CSV from it): the local store gives its own file, an object store
        downloads one into its scratch folder and deletes it afterwards. Never write to it."""
        ...

    def size(self, key: str) -> int:
        """The blob's size in bytes."""
        ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str) -> Iterator[str]:
        """Keys under the folder `prefix`, sorted."""
        ...

    def copy(self, source: str, target: str) -> None:
        """Make `target` hold the bytes `source` holds now (replacing `source` later does
        not change `target`)."""
        ...

    def move_prefix(self, source: str, target: str) -> None:
        """Move every blob under the folder `source` to the folder `target`."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Delete every blob under the folder `prefix`, or the blob `prefix` itself."""
        ...

    def ping(self) -> None:
        """Raise when the store cannot be reached (for /readyz)."""
        ...


def check_key(key: str) -> PurePosixPath:
    """`key` as a relative path; InputError for an absolute one, one escaping with `..`, or
    an empty one."""
    relative = PurePosixPath(key)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise InputError(f"invalid blob key {key!r}: keys are relative paths without '..'")
    return relative


class LocalBlobStore:
    """Blobs as files under `root` (the data dir's `blobs/` folder by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        private_folder(self.root)

    def _file(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).parts)

    def _existing(self, key: str) -> Path:
        file = self._file(key)
        if not file.is_file():
            raise BlobNotFoundError(f"no blob {key!r}")
        return file

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
        """Store what `write` writes to the path it is given (a temporary file beside the
        blob that becomes it atomically: no copy)."""
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
        return self._existing(key).read_bytes()

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        with self._existing(key).open("rb") as stream:
            yield stream

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """The blob's own file (blobs are never changed in place, only replaced)."""
        yield self._existing(key)

    def size(self, key: str) -> int:
        return self._existing(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self._file(key).is_file()

    def keys(self, prefix: str) -> Iterator[str]:
        """Keys under `prefix`, sorted."""
        folder = self._file(prefix)
        if not folder.is_dir():
            return
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            yield file.relative_to(self.root).as_posix()

    def copy(self, source: str, target: str) -> None:
        """A hard link: no copy of the bytes (a blob is replaced, never changed in place, so
        replacing `source` later does not change `target`)."""
        origin = self._existing(source)
        destination = self._file(target)
        self._folder_of(destination)
        destination.unlink(missing_ok=True)
        os.link(origin, destination)

    def move_prefix(self, source: str, target: str) -> None:
        """Move every blob under `source` to `target` (one rename: atomic, no copy)."""
        destination = self._file(target)
        self._folder_of(destination)
        os.replace(self._file(source), destination)

    def delete_prefix(self, prefix: str) -> None:
        """Delete every blob under `prefix` (a folder), or the blob `prefix` itself."""
        folder = self._file(prefix)
        if folder.is_dir():
            shutil.rmtree(folder)
        elif folder.exists():
            folder.unlink()

    def ping(self) -> None:
        """The root folder is there and writable."""
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailableError(f"the blob folder {self.root} is not writable")
