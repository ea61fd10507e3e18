"""Files at rest are private to the user rosterport runs as: the data dir and the folders
rosterport makes in it are 0700, the files it keeps there (the SQLite database, blobs, the
secret key) 0600 — set explicitly, whatever the umask of the process."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def private_folder(path: Path) -> Path:
    """`path` as a folder only its owner may enter (created with its parents if missing).
    A folder that belongs to another user is left as it is (it is not ours to change)."""
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    _restrict(path, PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only its owner may read (created empty if missing)."""
    with contextlib.suppress(FileExistsError):  # then only its mode is made private
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    _restrict(path, PRIVATE_FILE)
    return path


def make_private(path: Path) -> None:
    """Give a file rosterport just wrote the private mode (before it is renamed into place)."""
    os.chmod(path, PRIVATE_FILE)


def _restrict(path: Path, mode: int) -> None:
    info = path.stat()
    owner = getattr(os, "getuid", None)
    if owner is not None and info.st_uid != owner():
        return
    if info.st_mode & 0o777 != mode:
        os.chmod(path, mode)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
