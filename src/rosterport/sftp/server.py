"""The hosted SFTP server: one jailed folder per integration account (its start-up).

- Sign-in (`signin`): the account's password (argon2id hash) or one of its authorized public
  keys, with limits on password guessing and no user enumeration. Only the SFTP subsystem is
  offered: no shell, no commands, no SCP, no forwarding.
- The file system (`jail`): the account's folder and nothing above it, uploads all or
  nothing, the upload limit and the folder's quota (`quota`), no permission changes, no links.
- The host key lives in `<data dir>/sftp_host_key` (created on first start, mode 0600), so
  clients see the same key across restarts.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import asyncssh

from rosterport.services.hub import Hub
from rosterport.sftp.drops import DropActivity, make_account_folder
from rosterport.sftp.jail import JailedSFTPServer
from rosterport.sftp.quota import FolderUsage
from rosterport.sftp.signin import AccountServer

HOST_KEY = "sftp_host_key"


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
