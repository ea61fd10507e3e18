"""Uploading an export's files to an application's SFTP server, safely.

    zipped  `.oneroster.zip.part` is written, its size checked, then renamed to
            `oneroster.zip` (replacing the previous one in one step where the server has
            OpenSSH's posix-rename; else the old one is removed first)
    loose   every file is written as `.<name>.part` and its size checked; then the current
            `manifest.csv` is removed (from here on no set is current), the data files of the
            previous set that this one does not have are removed, each data file is renamed
            into place, and `manifest.csv` last

A reader that takes a set only when `manifest.csv` is there (or takes `oneroster.zip`) never
sees half a file or a mix of two sets. An interrupted upload leaves `.part` files (written
over by the next attempt) and, at worst, a folder without a manifest: never a partial set
as the current one. Connections go through `client.open_connection`: the pinned host key is
checked before any credential is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import asyncssh

from rosterport.domain.roster.csv_export import ALL_FILES, MANIFEST, ZIP_NAME, write_order
from rosterport.remote import ConnectionFailed, ConnectionReport, Server, UploadFailed
from rosterport.sftp.client import open_connection


def _remote(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if folder else name


def part_name(name: str) -> str:
    return f".{name}.part"


async def _replace(sftp: asyncssh.SFTPClient, source: str, target: str) -> None:
    """Rename `source` over `target`: atomically where the server offers posix-rename."""
    try:
        await sftp.posix_rename(source, target)
        return
    except asyncssh.SFTPOpUnsupported:
        pass
    if await sftp.exists(target):
        await sftp.remove(target)
    await sftp.rename(source, target)


async def upload(server: Server, files: Sequence[Path]) -> ConnectionReport:
    """Upload `files` (one zip, or the loose CSV files with manifest.csv) to the server's
    folder as described in the module doc. ConnectionFailed when the connection stops
    before signing in (host key changed, wrong password, …); UploadFailed after."""
    conn, report = await open_connection(
        server.host, server.port, server.username, server.credentials, pinned=server.pinned
    )
    async with conn:
        try:
            async with conn.start_sftp_client() as sftp:
                if server.path:
                    await sftp.makedirs(server.path, exist_ok=True)
                for local in files:
                    temporary = _remote(server.path, part_name(local.name))
                    await sftp.put(str(local), temporary)
                    size = (await sftp.stat(temporary)).size
                    if size != local.stat().st_size:
                        raise UploadFailed(
                            f"{local.name} arrived with {size} of {local.stat().st_size} bytes"
                        )
                names = [f.name for f in files]
                if names != [ZIP_NAME]:
                    await _swap_loose(sftp, server.path, names)
                else:
                    await _replace(
                        sftp,
                        _remote(server.path, part_name(ZIP_NAME)),
                        _remote(server.path, ZIP_NAME),
                    )
        except asyncssh.SFTPError as error:
            raise UploadFailed(_sftp_failure(server.path, error)) from None
        except (asyncssh.Error, OSError) as error:
            raise UploadFailed(f"the connection to {server.host} was lost: {error}") from None
    return report


async def _swap_loose(sftp: asyncssh.SFTPClient, folder: str, names: Sequence[str]) -> None:
    manifest = _remote(folder, MANIFEST)
    if await sftp.exists(manifest):
        await sftp.remove(manifest)  # from here on no set is current
    for stale in ALL_FILES:
        if stale not in names and await sftp.exists(_remote(folder, stale)):
            await sftp.remove(_remote(folder, stale))
    for name in write_order(names):
        await _replace(sftp, _remote(folder, part_name(name)), _remote(folder, name))


def _sftp_failure(folder: str, error: asyncssh.SFTPError) -> str:
    shown = folder or "the login folder"
    if isinstance(error, asyncssh.SFTPPermissionDenied):
        return (
            f"no permission: the server does not let this user write to {shown}; ask the "
            "application's owner for write access"
        )
    if isinstance(error, asyncssh.SFTPNoSuchFile):
        return f"path missing: {shown} could not be found or created on the server"
    return f"the server refused a file operation in {shown}: {error.reason}"


__all__ = ["ZIP_NAME", "ConnectionFailed", "Server", "UploadFailed", "part_name", "upload"]
