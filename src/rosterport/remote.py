"""Remote file servers (a district's SFTP server that pulls read from, an application's that
exports deliver to): the port services use, through `Hub.remote`, and its values.

`RemoteServers` is the port: test a connection step by step, and upload a set of files
safely. `rosterport.sftp.remote.SftpServers` is the implementation (asyncssh, host keys
pinned); services never import it, so a use case does not depend on the SFTP adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rosterport.errors import InputError, RosterportError


@dataclass(frozen=True, slots=True)
class Credentials:
    """How to sign in to a custom server (decrypted, in memory only)."""

    password: str | None = None
    private_key: str | None = None  # OpenSSH or PEM text


@dataclass(frozen=True, slots=True)
class Step:
    name: str  # "reach the server", "host key", "sign in", "list the folder"
    ok: bool
    message: str


@dataclass(slots=True)
class ConnectionReport:
    """The steps of a connection test, in order; the test stopped at the first failure."""

    host: str
    port: int
    steps: list[Step] = field(default_factory=list)
    host_key: str | None = None  # the server's public key (OpenSSH text)
    fingerprint: str | None = None  # SHA256:…
    key_changed: bool = False  # the pinned key no longer matches
    entries: list[str] = field(default_factory=list)  # names in the listed folder

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "host": self.host,
            "port": self.port,
            "fingerprint": self.fingerprint,
            "key_changed": self.key_changed,
            "steps": [{"step": s.name, "ok": s.ok, "message": s.message} for s in self.steps],
            "entries": self.entries,
        }


class ConnectionFailed(RosterportError):
    """A connection stopped at a step; `report` says which and why."""

    def __init__(self, report: ConnectionReport) -> None:
        failed = next((s for s in report.steps if not s.ok), None)
        super().__init__(failed.message if failed else "the connection failed")
        self.report = report


class UploadFailed(RosterportError):
    """The upload stopped; the message says where, in plain words."""


@dataclass(frozen=True, slots=True)
class Server:
    """A server files are delivered to, and how to reach it."""

    host: str
    port: int
    username: str
    credentials: Credentials
    pinned: str | None = None  # the host key pinned at the first connection
    path: str = ""  # "" is the login folder


class RemoteServers(Protocol):
    """Connections to remote file servers (the port; `Hub.remote`)."""

    async def check_connection(self, server: Server) -> ConnectionReport:
        """Connect, check the host key (against `server.pinned`), sign in and list
        `server.path`; each step reported."""
        ...

    async def upload(self, server: Server, files: Sequence[Path]) -> ConnectionReport:
        """Upload `files` to the server's folder so that a reader never sees half a set;
        ConnectionFailed before signing in, UploadFailed after."""
        ...


def confirmed_host_key(report: ConnectionReport, fingerprint: str) -> str:
    """The host key `report` saw, when its fingerprint is the one a person confirmed; else
    an InputError saying what the server shows now (Trust for pulls and exports alike)."""
    if report.host_key is None or report.fingerprint != fingerprint.strip():
        seen = report.fingerprint or "no key (the server could not be reached)"
        raise InputError(
            f"the server's host key is now {seen}, not the {fingerprint} you confirmed; "
            "test the connection again and compare the fingerprint with the server's admin"
        )
    return report.host_key
