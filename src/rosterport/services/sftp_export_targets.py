"""SFTP exports (Sync Mode: Export of the SFTP app) as records: the application's server
each one delivers to, its settings, and what people do with it (docs/sftp-export.md).

An export names the application's server (host, port, user, password or private key, the
pinned host key), a folder, which schools and files, bulk every time or bulk then delta,
the schedule (after each version in production, or a time of day in a time zone) and
zipped or loose files. Credentials are sealed with the data key, like pulls'
(`services/server_credentials.py`). Here: adding, changing, finding and listing exports,
their latest runs, Test Connection and trusting the server's host key. Delivering one is
`services/sftp_export.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from rosterport.domain.roster import csv_export as cx
from rosterport.errors import InputError, NotFoundError
from rosterport.remote import ConnectionReport, Credentials, Server, confirmed_host_key
from rosterport.services import server_credentials
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import sftp_exports as store

EXPORT = "sftp-export"  # the deliveries' job kind; an export's ledger consumer is EXPORT:<id>
AFTER_VERSION = "version"  # schedule: after each version in production
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SCHEMA = "IMS OneRoster 1.1"  # the Data Schema (the only one)


@dataclass(frozen=True, slots=True)
class ExportSettings:
    path: str = ""  # folder on the server; "" is the login (home) folder
    schools: tuple[str, ...] = ()  # () is every school
    files: str = cx.FULL  # full or users-orgs
    delta: bool = False  # bulk every time (False) or bulk then delta (True)
    schedule: str = AFTER_VERSION  # "version" or a local time "HH:MM"
    time_zone: str = "UTC"  # of a timed schedule (IANA name, e.g. America/Chicago)
    zipped: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExportSettings:
        return cls(
            path=str(data.get("path", "")),
            schools=tuple(str(s) for s in data.get("schools", ())),
            files=str(data.get("files", cx.FULL)),
            delta=bool(data.get("delta", False)),
            schedule=str(data.get("schedule", AFTER_VERSION)),
            time_zone=str(data.get("time_zone", "UTC")),
            zipped=bool(data.get("zipped", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "schools": list(self.schools),
            "files": self.files,
            "delta": self.delta,
            "schedule": self.schedule,
            "time_zone": self.time_zone,
            "zipped": self.zipped,
        }

    def checked(self) -> ExportSettings:
        if self.files not in cx.FILE_SETS:
            raise InputError(
                f"files {self.files!r}: choose full (every roster file) or users-orgs "
                "(users and orgs only)"
            )
        if self.schedule != AFTER_VERSION and not _TIME.match(self.schedule):
            raise InputError(
                f"schedule {self.schedule!r}: give 'version' (after each committed version) "
                "or a time of day as HH:MM, e.g. 02:30"
            )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(
                f"time zone {self.time_zone!r} is unknown; give an IANA name such as "
                "America/Chicago"
            ) from None
        if "\\" in self.path or ".." in self.path.split("/"):
            raise InputError(f"folder {self.path!r}: give a plain path such as outbound/roster")
        return self

    def scope(self) -> dict[str, Any]:
        """What decides the content of a bulk set: changing it makes the next delivery bulk."""
        return {"schools": sorted(self.schools), "files": self.files}


@dataclass(frozen=True, slots=True)
class Export:
    id: int
    org_id: int
    name: str
    host: str
    port: int
    username: str
    host_key: str | None
    enabled: bool
    settings: ExportSettings
    created_at: datetime
    last_version_id: int | None
    last_delivered_at: datetime | None
    scope: Mapping[str, Any] = field(default_factory=dict)  # of the last delivery

    @property
    def consumer(self) -> str:
        """Its name in the delivery ledger."""
        return f"{EXPORT}:{self.id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "sync_mode": "export",
            "data_schema": SCHEMA,
            "host_key_pinned": self.host_key is not None,
            "enabled": self.enabled,
            **self.settings.to_json(),
            "created_at": self.created_at.isoformat(),
            "last_version_id": self.last_version_id,
            "last_delivered_at": (
                None if self.last_delivered_at is None else self.last_delivered_at.isoformat()
            ),
        }


def from_row(row: sa.Row[Any]) -> Export:
    """An export as its row in the store holds it."""
    raw = dict(row.settings or {})
    scope = raw.pop("_scope", {})
    return Export(
        id=int(row.id),
        org_id=int(row.org_id),
        name=str(row.name),
        host=str(row.host),
        port=int(row.port),
        username=str(row.username),
        host_key=row.host_key,
        enabled=bool(row.enabled),
        settings=ExportSettings.from_json(raw),
        created_at=row.created_at,
        last_version_id=row.last_version_id,
        last_delivered_at=row.last_delivered_at,
        scope=scope,
    )


def _seal(hub: Hub, credentials: Credentials) -> bytes:
    return server_credentials.seal(
        hub, credentials, missing="give the server's password or a private key"
    )


def credentials_of(hub: Hub, export: Export) -> Credentials:
    """The decrypted credentials of the export's server."""
    with hub.engine.connect() as conn:
        row = store.export_row(conn, export.id)
    if row is None:
        raise NotFoundError(f"there is no SFTP export {export.id}")
    return server_credentials.unseal(hub, row.secret)


def _checked_server(host: str, port: int, username: str) -> None:
    if not host.strip() or any(c.isspace() for c in host.strip()):
        raise InputError(f"host {host!r}: give the server's name or address")
    if not 0 < port < 65536:
        raise InputError(f"port {port} is not a TCP port; the SFTP default is 22")
    if not username.strip():
        raise InputError("give the user name on the application's server")


def add_export(
    hub: Hub,
    org: Organization,
    *,
    host: str,
    username: str,
    credentials: Credentials,
    port: int = 22,
    name: str = "",
    settings: ExportSettings | None = None,
) -> Export:
    """A new export to an application's server (credentials encrypted at rest)."""
    _checked_server(host, port, username)
    chosen = (settings or ExportSettings()).checked()
    if credentials.private_key:
        upload_key_check(credentials.private_key)
    with hub.engine.begin() as conn:
        export_id = store.insert_export(
            conn,
            org_id=org.id,
            name=(name.strip() or f"{username}@{host}")[:100],
            host=host.strip(),
            port=port,
            username=username.strip(),
            secret=_seal(hub, credentials),
            settings=chosen.to_json(),
            created_at=hub.clock(),
        )
    return export_by_id(hub, export_id)


def upload_key_check(private_key: str) -> None:
    """InputError unless the text is a private key the SSH client can use."""
    import asyncssh  # noqa: PLC0415 - the SSH stack loads slowly; only key checks need it

    try:
        asyncssh.import_private_key(private_key)
    except (asyncssh.KeyImportError, ValueError):
        raise InputError(
            "the private key could not be read; give an unencrypted OpenSSH or PEM private "
            "key (not the .pub file)"
        ) from None


def update_export(
    hub: Hub,
    export: Export,
    *,
    settings: ExportSettings | None = None,
    credentials: Credentials | None = None,
    enabled: bool | None = None,
) -> Export:
    """Change an export's settings, credentials or whether it is enabled (None: as is)."""
    values: dict[str, Any] = {}
    if settings is not None:
        values["settings"] = {**settings.checked().to_json(), "_scope": dict(export.scope)}
    if credentials is not None:
        values["secret"] = _seal(hub, credentials)
    if enabled is not None:
        values["enabled"] = enabled
    if values:
        with hub.engine.begin() as conn:
            store.update_export(conn, export.id, **values)
    return export_by_id(hub, export.id)


def export_by_id(hub: Hub, export_id: int) -> Export:
    """The export with this id, of any organization."""
    with hub.engine.connect() as conn:
        row = store.export_row(conn, export_id)
    if row is None:
        raise NotFoundError(f"there is no SFTP export {export_id}")
    return from_row(row)


def get_export(hub: Hub, org: Organization, export_id: int) -> Export:
    """An export of the organization (NotFoundError for another organization's)."""
    found = export_by_id(hub, export_id)
    if found.org_id != org.id:
        raise NotFoundError(f"{org.slug} has no SFTP export {export_id}")
    return found


def list_exports(hub: Hub, org: Organization) -> list[Export]:
    """The organization's exports."""
    with hub.engine.connect() as conn:
        return [from_row(r) for r in store.export_rows(conn, org_id=org.id)]


def runs(hub: Hub, export: Export, *, limit: int = 20) -> list[dict[str, Any]]:
    """The export's latest deliveries, newest first."""
    with hub.engine.connect() as conn:
        rows = store.runs(conn, export.id, limit=limit)
    return [
        {
            "id": r.id,
            "version": r.version_id,
            "kind": r.kind,
            "state": r.state,
            "attempt": r.attempts,
            "bytes": r.bytes,
            "files": list((r.detail or {}).get("files", [])),
            "left_out": dict((r.detail or {}).get("left_out", {})),
            "error": r.last_error,
            "started_at": r.started_at.isoformat(),
            "finished_at": None if r.finished_at is None else r.finished_at.isoformat(),
        }
        for r in rows
    ]


# -- connection tests ----------------------------------------------------------------------


def server_of(hub: Hub, export: Export) -> Server:
    """The export's server as deliveries reach it: its folder, its pinned host key."""
    return Server(
        export.host,
        export.port,
        export.username,
        credentials_of(hub, export),
        export.host_key,
        export.settings.path,
    )


async def test_connection(hub: Hub, export: Export) -> ConnectionReport:
    """Test Connection: reach, host key (against the pinned one), sign in, list the folder."""
    return await hub.remote_servers().check_connection(server_of(hub, export))


async def trust_host_key(hub: Hub, export: Export, fingerprint: str) -> Export:
    """Pin the server's host key once a person compared its fingerprint."""
    server = Server(export.host, export.port, export.username, credentials_of(hub, export))
    report = await hub.remote_servers().check_connection(server)
    host_key = confirmed_host_key(report, fingerprint)
    with hub.engine.begin() as conn:
        store.update_export(conn, export.id, host_key=host_key)
    return export_by_id(hub, export.id)


def with_settings(export: Export, **changes: Any) -> ExportSettings:
    """The export's settings with these changes."""
    return replace(export.settings, **changes)
