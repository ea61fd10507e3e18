"""The hosted SFTP server: one jailed folder per integration account.

- Sign-in: the account's password (argon2id hash) or one of its authorized public keys.
  Only the SFTP subsystem is offered: no shell, no commands, no SCP, no forwarding.
- Password guessing: once `ROSTERPORT_LOGIN_ATTEMPTS` password sign-ins failed for one user
  name, or from one client address, within 15 minutes, every further password attempt is
  refused, the right one too, until the window has passed. Attempts are counted atomically
  in the `login_failures` table before the password is checked
  (`services/sign_in_limits.py`), so concurrent attempts cannot all get through; each
  failure is logged as a warning with the user name and the address, never the password.
- No user enumeration: an unknown user, or one without a password, is checked against a
  stand-in argon2 hash, so it takes as long as a wrong password and fails the same way.
- The jail: every path the client names is taken inside the account's folder (`/` is the
  folder itself). A path that climbs above it (`..` at the top) is refused, and so is any
  path that resolves, through a link placed there by anyone, to outside the folder. Links
  cannot be created at all.
- Uploads are all or nothing: a file opened for writing is written under a hidden name
  (`.<name>.part-<16 hex>`, which clients can neither list nor name, and which the drop
  scanner ignores) and renamed to its name only when the client closes it after every write
  succeeded. A refused write (file too large, folder full, disk error) deletes the hidden
  file at once, and the upload stays refused until the client closes it; a session that ends
  with the file still open (connection dropped, client killed) deletes it; a crash of the
  server leaves only the hidden file, which `drops.tidy` removes later. So a set is never
  processed with a truncated file in it.
- Limits: a file may not grow past the upload limit, and an account's folder may not hold
  more than its quota in all (counted as the disk does: whole 4 KB blocks, at least one per
  file or folder); writes past either, and setting a larger size, are refused with a message.
- Permissions: files are created 0600 and folders 0700 whatever the client asks. Changing
  permissions, owner or group (chmod, chown, chgrp, put -p) is refused; only access and
  modification times may be set, and the size of a file while it is being uploaded.
- Activity: the server tells a `DropActivity` when an account opens a file for writing and
  when the upload ends (renamed into place, or discarded), so that a set is never processed
  while a file is being written, and a ZIP is processed as soon as it is in place.
- Messages name what was refused and what to do; no exception text reaches the client.
- The host key lives in `<data dir>/sftp_host_key` (created on first start, mode 0600), so
  clients see the same key across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import logging
import os
import re
import secrets
import shutil
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

from rosterport.services.hosted_accounts import authorized_keys, hosted_account, sign_in_hosted
from rosterport.services.hub import Hub
from rosterport.sftp.drops import FILE_MODE, FOLDER_MODE, DropActivity, make_account_folder

log = logging.getLogger(__name__)

HOST_KEY = "sftp_host_key"
BLOCK = 4096  # the quota counts whole blocks, at least one per file or folder
MAX_NAME = 255 - len(".") - len(".part-") - 16  # room for the hidden name of the upload
_WRITE = (
    asyncssh.FXF_WRITE
    | asyncssh.FXF_APPEND
    | asyncssh.FXF_CREAT
    | asyncssh.FXF_TRUNC
    | asyncssh.FXF_EXCL
)
_PART = re.compile(rb"^\..+\.part-[0-9a-f]{16}$")  # hidden names of uploads in progress
_NO_PERMISSIONS = (
    "permission changes are not allowed here: files are kept 0600 and folders 0700 for the "
    "server alone; upload without chmod, chown, chgrp or preserving permissions (put -p)"
)


def load_host_key(data_dir: Path) -> asyncssh.SSHKey:
    """The server's persistent host key, generated (Ed25519) on first use."""
    path = data_dir / HOST_KEY
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key.export_private_key())
    return asyncssh.read_private_key(path)


def blocks(size: int) -> int:
    """What a file of `size` bytes counts against the quota."""
    return max(1, -(-size // BLOCK)) * BLOCK


def folder_usage(folder: bytes) -> int:
    """What everything in `folder` counts against the quota (links count one block)."""
    total = 0
    for top, folders, files in os.walk(folder):
        for name in folders + files:
            try:
                info = os.lstat(os.path.join(top, name))
            except FileNotFoundError:  # removed meanwhile
                continue
            total += blocks(info.st_size if stat.S_ISREG(info.st_mode) else 0)
    return total


class FolderUsage:
    """What each account's folder holds against its quota, shared by all sessions: rescanned
    when an upload starts and kept up to date by the writes in between. Event loop only."""

    def __init__(self, quota: int) -> None:
        self.quota = quota
        self._used: dict[str, int] = {}

    def rescan(self, login: str, folder: bytes) -> None:
        self._used[login] = folder_usage(folder)

    def take(self, login: str, more: int) -> bool:
        """Count `more` bytes (negative: fewer) unless that would pass the quota."""
        used = self._used.get(login, 0)
        if more > 0 and used + more > self.quota:
            return False
        self._used[login] = max(0, used + more)
        return True


@dataclass(eq=False, slots=True)
class _Upload:
    """A file being uploaded: written to `part`, renamed to `target` on a clean close."""

    file: io.FileIO
    part: bytes
    target: bytes
    name: str  # inside the account's folder, for the DropActivity and the log
    append: bool
    size: int  # the hidden file's length
    refused: bool = False


class JailedSFTPServer(asyncssh.SFTPServer):
    """SFTP inside one account's folder, with the limits of the module doc."""

    def __init__(
        self,
        chan: asyncssh.SSHServerChannel[bytes],
        *,
        root: Path,
        max_bytes: int,
        activity: DropActivity,
        usage: FolderUsage,
    ) -> None:
        super().__init__(chan, chroot=os.fsencode(root))
        self._root = os.fsencode(os.path.realpath(root))
        self._max_bytes = max_bytes
        self._activity = activity
        self._usage = usage
        self._login = str(chan.get_extra_info("username"))
        self._uploads: dict[int, _Upload] = {}  # id of an open file → its upload
        self._closing: list[_Upload] = []  # closed, renamed into place by `_settle`
        self._ended = False

    # -- paths -------------------------------------------------------------------------------

    def map_path(self, path: bytes) -> bytes:
        depth = 0
        for part in path.replace(b"\\", b"/").split(b"/"):
            if part == b"..":
                depth -= 1
                if depth < 0:
                    raise asyncssh.SFTPPermissionDenied(
                        "that path leads outside your folder; use paths inside it"
                    )
            elif part not in {b"", b"."}:
                depth += 1
                if _PART.match(part):
                    raise asyncssh.SFTPPermissionDenied(
                        f"{os.fsdecode(part)} is the name of an upload in progress; "
                        "choose another name"
                    )
        mapped = super().map_path(path)
        real = os.path.realpath(mapped)
        if real != self._root and not real.startswith(self._root + b"/"):
            raise asyncssh.SFTPPermissionDenied(
                "that path leads outside your folder (through a link); use paths inside it"
            )
        return mapped

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        """The folder's entries: "." and the files, not ".." (nothing is above the top) nor
        uploads in progress."""
        local = self.map_path(path)
        yield asyncssh.SFTPName(b".", attrs=asyncssh.SFTPAttrs.from_local(os.stat(local)))
        with os.scandir(local) as entries:
            for entry in entries:
                if _PART.match(os.fsencode(entry.name)):
                    continue
                attrs = asyncssh.SFTPAttrs.from_local(entry.stat(follow_symlinks=False))
                yield asyncssh.SFTPName(os.fsencode(entry.name), attrs=attrs)

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        del oldpath, newpath
        raise asyncssh.SFTPPermissionDenied("links are not allowed here; upload the files")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        del oldpath, newpath
        raise asyncssh.SFTPPermissionDenied("links are not allowed here; upload the files")

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        del attrs  # the client's permissions are ignored: folders are 0700
        local = self.map_path(path)
        self._usage.rescan(self._login, self._root)
        if not self._usage.take(self._login, BLOCK):
            raise asyncssh.SFTPQuotaExceeded(self._full(upload=False))
        os.mkdir(local, FOLDER_MODE)

    # -- attributes --------------------------------------------------------------------------

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._times_only(attrs, sizing=False)
        super().setstat(path, attrs)

    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._times_only(attrs, sizing=False)
        super().lsetstat(path, attrs)

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        upload = self._uploads.get(id(file_obj))
        self._times_only(attrs, sizing=upload is not None)
        if upload is not None and attrs.size is not None:
            if upload.refused:
                raise asyncssh.SFTPFailure(
                    f"the upload of {upload.name} was refused already; upload the file again"
                )
            self._grow(upload, attrs.size)
            os.ftruncate(upload.file.fileno(), attrs.size)
            upload.size = attrs.size
            attrs = asyncssh.SFTPAttrs(
                atime=attrs.atime,
                atime_ns=attrs.atime_ns,
                mtime=attrs.mtime,
                mtime_ns=attrs.mtime_ns,
            )
        super().fsetstat(file_obj, attrs)

    def _times_only(self, attrs: asyncssh.SFTPAttrs, *, sizing: bool) -> None:
        """Refuse attributes other than times (and the size of a file being uploaded)."""
        owner = (attrs.permissions, attrs.uid, attrs.gid, attrs.owner, attrs.group)
        if any(value is not None for value in owner):
            log.warning("SFTP %s: refused a permission change", self._login)
            raise asyncssh.SFTPPermissionDenied(_NO_PERMISSIONS)
        if attrs.size is not None and not sizing:
            raise asyncssh.SFTPPermissionDenied(
                "changing the size of a file is not allowed here; upload the file again"
            )

    # -- uploads -----------------------------------------------------------------------------

    async def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if not pflags & _WRITE:  # reading: nothing is created, so attrs do not matter
            return super().open(path, pflags, attrs)
        if attrs.size is not None and attrs.size > self._max_bytes:
            raise asyncssh.SFTPFailure(self._too_large())
        return await self._start_upload(path, pflags)

    async def open56(
        self, path: bytes, desired_access: int, flags: int, attrs: asyncssh.SFTPAttrs
    ) -> object:
        """SFTP v5 and later: the same as `open`, with the flags translated."""
        pflags = 0
        if desired_access & asyncssh.ACE4_READ_DATA:
            pflags |= asyncssh.FXF_READ
        if desired_access & (asyncssh.ACE4_WRITE_DATA | asyncssh.ACE4_APPEND_DATA):
            pflags |= asyncssh.FXF_WRITE
        if desired_access & asyncssh.ACE4_APPEND_DATA or flags & asyncssh.FXF_APPEND_DATA:
            pflags |= asyncssh.FXF_APPEND
        pflags |= {
            asyncssh.FXF_CREATE_NEW: asyncssh.FXF_CREAT | asyncssh.FXF_EXCL,
            asyncssh.FXF_CREATE_TRUNCATE: asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC,
            asyncssh.FXF_OPEN_OR_CREATE: asyncssh.FXF_CREAT,
            asyncssh.FXF_TRUNCATE_EXISTING: asyncssh.FXF_TRUNC,
        }.get(flags & asyncssh.FXF_ACCESS_DISPOSITION, 0)
        return await self.open(path, pflags, attrs)

    async def _start_upload(self, path: bytes, pflags: int) -> object:
        target = self.map_path(path)
        folder, name = os.path.split(target)
        if len(name) > MAX_NAME:
            raise asyncssh.SFTPInvalidFilename(f"file name too long: use at most {MAX_NAME} bytes")
        if os.path.isdir(target):
            raise asyncssh.SFTPFileIsADirectory(f"{os.fsdecode(name)} is a folder; name a file")
        exists = os.path.exists(target)
        if exists and pflags & asyncssh.FXF_EXCL:
            raise asyncssh.SFTPFileAlreadyExists(f"{os.fsdecode(name)} already exists")
        if not exists and not pflags & asyncssh.FXF_CREAT:
            raise asyncssh.SFTPNoSuchFile(f"{os.fsdecode(name)} does not exist")
        kept = os.path.getsize(target) if exists and not pflags & asyncssh.FXF_TRUNC else 0
        if kept > self._max_bytes:
            raise asyncssh.SFTPFailure(self._too_large())
        self._usage.rescan(self._login, self._root)
        if not self._usage.take(self._login, blocks(kept)):
            raise asyncssh.SFTPQuotaExceeded(self._full())
        part = os.path.join(folder, b"." + name + b".part-" + secrets.token_hex(8).encode())
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            file = io.FileIO(os.open(part, flags, FILE_MODE), "r+")
            if kept:  # the client writes into what is there (resume, append): a copy
                await asyncio.to_thread(_copy, target, file)
        except OSError:
            self._usage.take(self._login, -blocks(kept))
            with contextlib.suppress(OSError):
                os.unlink(part)
            log.exception("SFTP %s: could not start the upload of %s", self._login, path)
            raise asyncssh.SFTPFailure(
                "the server could not store the file; try again later, or tell the "
                "administrator if it keeps failing"
            ) from None
        shown = os.fsdecode(os.path.relpath(target, self._root))
        upload = _Upload(file, part, target, shown, bool(pflags & asyncssh.FXF_APPEND), kept)
        self._uploads[id(file)] = upload
        self._activity.opened(self._login)
        return file

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        upload = self._uploads.get(id(file_obj))
        if upload is None:  # a file opened for reading only: the OS refuses
            written: int = super().write(file_obj, offset, data)  # type: ignore[assignment]  # sync in the base class
            return written
        if upload.refused:
            raise asyncssh.SFTPFailure(
                f"the upload of {upload.name} was refused already; upload the file again"
            )
        if upload.append:
            offset = upload.size
        end = offset + len(data)
        if end > self._max_bytes:
            self._refuse(upload, "larger than the upload limit")
            raise asyncssh.SFTPFailure(self._too_large())
        if end > upload.size:
            self._grow(upload, end)
        try:
            view = memoryview(data)
            while view:
                done = os.pwrite(upload.file.fileno(), view, offset)
                view, offset = view[done:], offset + done
        except OSError as error:
            self._refuse(upload, f"the disk refused the write ({error.strerror})")
            raise asyncssh.SFTPFailure(
                "the server could not store the file (its disk may be full); try again later, "
                "or tell the administrator if it keeps failing"
            ) from None
        upload.size = max(upload.size, end)
        return len(data)

    def _grow(self, upload: _Upload, size: int) -> None:
        """Count the upload at `size` bytes against the limit and the quota, or refuse it."""
        if size > self._max_bytes:
            self._refuse(upload, "larger than the upload limit")
            raise asyncssh.SFTPFailure(self._too_large())
        if not self._usage.take(self._login, blocks(size) - blocks(upload.size)):
            self._refuse(upload, "the folder's quota is used up")
            raise asyncssh.SFTPQuotaExceeded(self._full())

    def _refuse(self, upload: _Upload, why: str) -> None:
        """The upload failed: its hidden file goes at once, nothing will be renamed."""
        log.warning("SFTP %s: upload of %s refused: %s", self._login, upload.name, why)
        upload.refused = True
        self._drop_part(upload)

    def _drop_part(self, upload: _Upload) -> None:
        with contextlib.suppress(OSError):
            os.unlink(upload.part)
        self._usage.take(self._login, -blocks(upload.size))
        upload.size = 0

    def close(self, file_obj: object) -> None:
        upload = self._uploads.pop(id(file_obj), None)
        if upload is None:
            super().close(file_obj)
            return
        upload.file.close()
        if upload.refused:
            self._activity.closed(self._login, upload.name, finished=False)
            return
        # Either the client closed the file, or asyncssh closes the files still open when the
        # session ends, and then calls `exit` at once, before the loop runs `_settle`.
        self._closing.append(upload)
        asyncio.get_running_loop().call_soon(self._settle)

    def _settle(self) -> None:
        """Rename closed uploads into place, unless the session ended with them open."""
        closing, self._closing = self._closing, []
        for upload in closing:
            if self._ended:
                log.warning(
                    "SFTP %s: upload of %s discarded: the session ended before the file was closed",
                    self._login,
                    upload.name,
                )
                self._drop_part(upload)
                self._activity.closed(self._login, upload.name, finished=False)
                continue
            try:
                os.replace(upload.part, upload.target)
            except OSError as error:  # the folder changed meanwhile (renamed, removed)
                log.warning("SFTP %s: upload of %s discarded: %s", self._login, upload.name, error)
                self._drop_part(upload)
                self._activity.closed(self._login, upload.name, finished=False)
                continue
            self._activity.closed(self._login, upload.name)

    def exit(self) -> None:
        self._ended = True  # files closed by the session's end are discarded by `_settle`
        for upload in self._uploads.values():
            upload.file.close()
            self._drop_part(upload)
            self._activity.closed(self._login, upload.name, finished=False)
        self._uploads.clear()
        super().exit()

    def _too_large(self) -> str:
        return (
            f"file too large: uploads are limited to {self._max_bytes // 2**20:,} MB; the "
            "upload was discarded. Split the export or ask the administrator to raise the limit"
        )

    def _full(self, *, upload: bool = True) -> str:
        return (
            f"your folder is full: it may hold {self._usage.quota // 2**20:,} MB in all"
            + ("; the upload was discarded" if upload else "")
            + ". Remove files you no longer need (older results too) or ask the administrator "
            "to raise the quota"
        )


def _copy(source: bytes, target: io.FileIO) -> None:
    with open(source, "rb") as reader:
        shutil.copyfileobj(reader, target, 1 << 20)


class AccountServer(asyncssh.SSHServer):
    """Signs in hosted accounts against their integration (password or authorized keys)."""

    def __init__(self, hub: Hub, *, login_attempts: int) -> None:
        self._hub = hub
        self._limit = login_attempts
        self._conn: asyncssh.SSHServerConnection | None = None
        self._address = "unknown"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        peer = conn.get_extra_info("peername")
        if peer:
            self._address = str(peer[0])

    async def begin_auth(self, username: str) -> bool:
        account = await asyncio.to_thread(hosted_account, self._hub, username)
        if account is not None and self._conn is not None:
            keys = await asyncio.to_thread(authorized_keys, self._hub, account)
            if keys:
                self._conn.set_authorized_keys(asyncssh.import_authorized_keys(keys))
        return True  # unknown users are asked to authenticate, and fail like wrong passwords

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        outcome = await asyncio.to_thread(
            sign_in_hosted,
            self._hub,
            username,
            password,
            address=self._address,
            limit=self._limit,
        )
        if outcome.locked_out:
            log.warning(
                "SFTP sign-in refused for user %r from %s: %d failed sign-ins for this user "
                "or address in 15 minutes; password sign-ins stay refused until the window "
                "has passed",
                username,
                self._address,
                outcome.failures,
            )
        elif not outcome.signed_in:
            log.warning(
                "SFTP sign-in failed for user %r from %s: wrong password or unknown user "
                "(%d of %d failures allowed in 15 minutes)",
                username,
                self._address,
                outcome.failures,
                self._limit,
            )
        return outcome.signed_in


async def listen(
    hub: Hub,
    *,
    host: str,
    port: int,
    data_dir: Path,
    max_bytes: int,
    quota_bytes: int,
    login_attempts: int,
    activity: DropActivity,
) -> asyncssh.SSHAcceptor:
    """Start the hosted server; accounts' folders live in `<data dir>/sftp/<login>/`."""
    usage = FolderUsage(quota_bytes)

    def sftp_factory(chan: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
        login = str(chan.get_extra_info("username"))
        return JailedSFTPServer(
            chan,
            root=make_account_folder(data_dir, login),
            max_bytes=max_bytes,
            activity=activity,
            usage=usage,
        )

    try:
        return await asyncssh.listen(
            host,
            port,
            server_host_keys=[load_host_key(data_dir)],
            server_factory=lambda: AccountServer(hub, login_attempts=login_attempts),
            sftp_factory=sftp_factory,
            allow_scp=False,
            agent_forwarding=False,
            allow_pty=False,
            x11_forwarding=False,
            process_factory=_no_shell,
        )
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise OSError(
                error.errno,
                f"the SFTP port {host}:{port} is already in use; stop the other server or "
                "choose another port with --sftp-port (0 turns the SFTP server off)",
            ) from None
        raise


def _no_shell(process: Any) -> None:
    """Shells and commands are refused: this server only speaks SFTP."""
    process.stderr.write("This server accepts SFTP only (try: sftp -P PORT user@host).\n")
    process.exit(1)
