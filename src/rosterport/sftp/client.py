"""Connections to a custom SFTP server: Test Connection, step by step, and the pull.

Test Connection walks the steps a pull takes and says, in plain words, where it stops:

    reach the server   unknown host · refused · no answer
    host key           its SHA256 fingerprint (to confirm on first use) · changed since pinned
    sign in            wrong password · key rejected · the private key is unreadable
    list the folder    path missing · no permission

The host key is checked before any credential is sent: with a pinned key, only that key is
accepted; without one, the key the server shows is the one the credentials go to (and a
successful pull pins it: trust on first use, like OpenSSH).
"""

from __future__ import annotations

import asyncio
import socket

import asyncssh

from rosterport.errors import InputError
from rosterport.remote import ConnectionFailed, ConnectionReport, Credentials, Server, Step

TIMEOUT = 15.0  # seconds to reach and sign in to a server


def _unreachable(host: str, port: int, error: BaseException) -> str:
    if isinstance(error, socket.gaierror):
        return (
            f"unknown host: {host} could not be found; check the host name (a typo, or a name "
            "only known inside the district's network)"
        )
    if isinstance(error, ConnectionRefusedError):
        return (
            f"refused: {host} does not accept connections on port {port}; check the port "
            "(SFTP usually listens on 22) and that the SFTP service is running"
        )
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return (
            f"no answer: {host} port {port} did not answer within {TIMEOUT:.0f} s; a firewall "
            "may be dropping the connection: ask for rosterport's address to be allowed"
        )
    if isinstance(error, asyncssh.Error):
        return f"the server at {host}:{port} ended the connection: {error.reason}"
    return f"could not reach {host}:{port}: {error}"


def _client_keys(credentials: Credentials) -> list[asyncssh.SSHKey] | None:
    if not credentials.private_key:
        return None
    try:
        return [asyncssh.import_private_key(credentials.private_key)]
    except (asyncssh.KeyImportError, ValueError) as error:
        raise InputError(
            f"the private key could not be read ({error}); give an unencrypted OpenSSH or PEM "
            "private key (not the .pub file)"
        ) from None


async def open_connection(
    host: str,
    port: int,
    username: str,
    credentials: Credentials,
    *,
    pinned: str | None = None,
    report: ConnectionReport | None = None,
) -> tuple[asyncssh.SSHClientConnection, ConnectionReport]:
    """Reach, check the host key, sign in. ConnectionFailed (with the report) otherwise."""
    report = report or ConnectionReport(host, port)
    pinned_key = asyncssh.import_public_key(pinned) if pinned else None
    try:
        shown = await asyncio.wait_for(
            asyncssh.get_server_host_key(
                host,
                port,
                config=None,
                server_host_key_algs=(
                    [a.decode() for a in pinned_key.sig_algorithms] if pinned_key else ()
                ),
            ),
            TIMEOUT,
        )
    except (OSError, TimeoutError, asyncssh.Error) as error:
        report.steps.append(Step("reach the server", False, _unreachable(host, port, error)))
        raise ConnectionFailed(report) from None
    report.steps.append(Step("reach the server", True, f"{host}:{port} answered"))
    if shown is None:
        report.steps.append(Step("host key", False, "the server showed no host key"))
        raise ConnectionFailed(report)
    report.host_key = shown.export_public_key().decode().strip()
    report.fingerprint = shown.get_fingerprint("sha256")
    if pinned_key is not None and pinned_key.public_data != shown.public_data:
        report.key_changed = True
        report.steps.append(
            Step(
                "host key",
                False,
                f"host key changed: the server now shows {report.fingerprint}, not the key "
                f"pinned at the first connection ({pinned_key.get_fingerprint('sha256')}); if "
                "the district replaced its server, confirm the new fingerprint with them and "
                "pin it again; otherwise someone may be impersonating the server",
            )
        )
        raise ConnectionFailed(report)
    report.steps.append(
        Step(
            "host key",
            True,
            f"host key {report.fingerprint}"
            + (
                " (matches the pinned key)"
                if pinned_key
                else " (first connection: confirm this fingerprint with the server's owner)"
            ),
        )
    )
    try:
        client_keys = _client_keys(credentials)
    except InputError as error:
        report.steps.append(Step("sign in", False, str(error)))
        raise ConnectionFailed(report) from None
    try:
        conn = await asyncssh.connect(
            host,
            port,
            username=username,
            password=credentials.password,
            client_keys=client_keys,
            known_hosts=([shown], [], []),
            agent_path=None,
            config=None,
            preferred_auth="publickey" if client_keys else "password,keyboard-interactive",
            connect_timeout=TIMEOUT,
            login_timeout=TIMEOUT,
        )
    except asyncssh.PermissionDenied:
        message = (
            f"key rejected: the server did not accept this key for user {username}; add the "
            "public key to the user's authorized_keys on the server"
            if client_keys
            else f"wrong password: the server refused user {username} with this password; "
            "check the user name and password"
        )
        report.steps.append(Step("sign in", False, message))
        raise ConnectionFailed(report) from None
    except asyncssh.HostKeyNotVerifiable:
        report.key_changed = True
        report.steps.append(
            Step("sign in", False, "the server's host key changed during the test; try again")
        )
        raise ConnectionFailed(report) from None
    except (OSError, TimeoutError, asyncssh.Error) as error:
        report.steps.append(Step("sign in", False, _unreachable(host, port, error)))
        raise ConnectionFailed(report) from None
    how = "key" if client_keys else "password"
    report.steps.append(Step("sign in", True, f"signed in as {username} with the {how}"))
    return conn, report


def folder_of(path: str) -> str:
    return path.strip() or "."


def listing_failure(path: str, error: asyncssh.SFTPError) -> str:
    """Why a folder could not be listed, in plain words."""
    shown = path or "the login folder"
    if isinstance(error, asyncssh.SFTPNoSuchFile):
        return f"path missing: {shown} does not exist on the server; check the folder name"
    if isinstance(error, asyncssh.SFTPPermissionDenied):
        return (
            f"no permission: user may not list {shown}; ask the server's owner for read "
            "access (and write access, if files are moved or deleted after processing)"
        )
    return f"could not list {shown}: {error.reason}"


async def check_connection(server: Server) -> ConnectionReport:
    """Connect, check the host key (against `server.pinned`), sign in and list `server.path`;
    each step reported."""
    report = ConnectionReport(server.host, server.port)
    path = server.path
    try:
        conn, report = await open_connection(
            server.host,
            server.port,
            server.username,
            server.credentials,
            pinned=server.pinned,
            report=report,
        )
    except ConnectionFailed as failed:
        return failed.report
    async with conn:
        try:
            async with conn.start_sftp_client() as sftp:
                names = await sftp.listdir(folder_of(path))
        except asyncssh.SFTPError as error:
            report.steps.append(Step("list the folder", False, listing_failure(path, error)))
            return report
        except (asyncssh.Error, OSError) as error:
            report.steps.append(
                Step("list the folder", False, f"the server offers no SFTP service: {error}")
            )
            return report
    report.entries = sorted(n for n in names if n not in {".", ".."})
    report.steps.append(
        Step(
            "list the folder",
            True,
            f"listed {path or 'the login folder'}: {len(report.entries)} entries",
        )
    )
    return report
