"""The hosted SFTP server: one jailed folder per integration account.

- Sign-in: the account's password (argon2id hash) or one of its authorized public keys.
  Only the SFTP subsystem is offered: no shell, no commands, no SCP, no forwarding.
- The jail: every path the client names is taken inside the account's folder (`/` is the
  folder itself). A path that climbs above it (`..` at the top) is refused, and so is any
  path that resolves, through a link placed there by anyone, to outside the folder. Links
  cannot be created at all.
- Limits: a file may not grow past the upload limit (writes past it, and setting a larger
  size, are refused with a message).
- Activity: the server tells a `DropActivity` when an account opens and closes a file for
  writing, so that a set is never processed while a file is being written, and a ZIP is
  processed as soon as it is closed.
- The host key lives in `<data dir>/sftp_host_key` (created on first start, mode 0600), so
  clients see the same key across restarts.
"""

from __future__ import annotations

import asyncio
import errno
import os
import posixpath
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncssh

from rosterport.services.hub import Hub
from rosterport.services.integrations import authorized_keys, check_password, hosted_account
from rosterport.sftp.drops import DropActivity, account_folder

HOST_KEY = "sftp_host_key"
_WRITE = asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC


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


class JailedSFTPServer(asyncssh.SFTPServer):
    """SFTP inside one account's folder, with the limits of the module doc."""

    def __init__(
        self,
        chan: asyncssh.SSHServerChannel[bytes],
        *,
        root: Path,
        max_bytes: int,
        activity: DropActivity,
    ) -> None:
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(chan, chroot=os.fsencode(root))
        self._root = os.fsencode(os.path.realpath(root))
        self._max_bytes = max_bytes
        self._activity = activity
        self._login = str(chan.get_extra_info("username"))
        self._writing: dict[int, bytes] = {}  # id of an open file → its name

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
        mapped = super().map_path(path)
        real = os.path.realpath(mapped)
        if real != self._root and not real.startswith(self._root + b"/"):
            raise asyncssh.SFTPPermissionDenied(
                "that path leads outside your folder (through a link); use paths inside it"
            )
        return mapped

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        """The folder's entries: "." and the files, not ".." (nothing is above the top)."""
        local = self.map_path(path)
        yield asyncssh.SFTPName(b".", attrs=asyncssh.SFTPAttrs.from_local(os.stat(local)))
        with os.scandir(local) as entries:
            for entry in entries:
                attrs = asyncssh.SFTPAttrs.from_local(entry.stat(follow_symlinks=False))
                yield asyncssh.SFTPName(os.fsencode(entry.name), attrs=attrs)

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        del oldpath, newpath
        raise asyncssh.SFTPPermissionDenied("links are not allowed here; upload the files")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        del oldpath, newpath
        raise asyncssh.SFTPPermissionDenied("links are not allowed here; upload the files")

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        self._check_size(attrs.size)
        file_obj = super().open(path, pflags, attrs)
        if pflags & _WRITE:
            self._writing[id(file_obj)] = posixpath.basename(path)
            self._activity.opened(self._login)
        return file_obj

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        if offset + len(data) > self._max_bytes:
            raise asyncssh.SFTPFailure(
                f"file too large: uploads are limited to {self._max_bytes // 2**20:,} MB; "
                "split the export or ask the administrator to raise the limit"
            )
        written: int = super().write(file_obj, offset, data)  # type: ignore[assignment]  # sync in the base class
        return written

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._check_size(attrs.size)
        super().setstat(path, attrs)

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        self._check_size(attrs.size)
        super().fsetstat(file_obj, attrs)

    def close(self, file_obj: object) -> None:
        super().close(file_obj)
        name = self._writing.pop(id(file_obj), None)
        if name is not None:
            self._activity.closed(self._login, os.fsdecode(name))

    def exit(self) -> None:  # the session ended: files left open count as closed
        for name in self._writing.values():  # an interrupted upload is not a finished ZIP
            self._activity.closed(self._login, os.fsdecode(name), finished=False)
        self._writing.clear()
        super().exit()

    def _check_size(self, size: int | None) -> None:
        if size is not None and size > self._max_bytes:
            raise asyncssh.SFTPFailure(
                f"file too large: uploads are limited to {self._max_bytes // 2**20:,} MB"
            )


class AccountServer(asyncssh.SSHServer):
    """Signs in hosted accounts against their integration (password or authorized keys)."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

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
        return await asyncio.to_thread(check_password, self._hub, username, password)


async def listen(
    hub: Hub,
    *,
    host: str,
    port: int,
    data_dir: Path,
    max_bytes: int,
    activity: DropActivity,
) -> asyncssh.SSHAcceptor:
    """Start the hosted server; accounts' folders live in `<data dir>/sftp/<login>/`."""

    def sftp_factory(chan: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
        login = str(chan.get_extra_info("username"))
        return JailedSFTPServer(
            chan, root=account_folder(data_dir, login), max_bytes=max_bytes, activity=activity
        )

    try:
        return await asyncssh.listen(
            host,
            port,
            server_host_keys=[load_host_key(data_dir)],
            server_factory=lambda: AccountServer(hub),
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
