"""SFTP export (Sync Mode: Export of the SFTP app): the roster delivered to an application's
SFTP server as OneRoster 1.1 CSV (docs/sftp-export.md).

An export names the application's server (host, port, user, password or private key, the
pinned host key), a folder, which schools and files, bulk every time or bulk then delta,
the schedule (after each version in production, or a time of day in a time zone) and
zipped or loose files. Credentials are encrypted with the data key, like pulls'.

A delivery is a job (`EXPORT`) of the job queue: it writes the files of the version the
roster store holds (domain/roster/csv_export.py) into a private temporary folder, uploads
them safely (sftp/export.py) and records the run (files, sizes, SHA-256, bytes, times) and
the export's row of the `deliveries` ledger (consumer `sftp-export:<id>`). A failure raises,
so the queue retries with back-off; the last attempt marks the ledger row failed. An
application that is down never marks a version as failed.

Bulk or delta: a delta holds the objects changed by the versions after the last one
delivered whole (tombstones as `tobedeleted`); the first delivery, one after a change of the
export's schools or files, and one whose last delivery is older than the tombstone retention
(deletions older than that are no longer known) are bulk.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import sqlalchemy as sa

from rosterport.clock import monotonic
from rosterport.domain.roster import csv_export as cx
from rosterport.errors import InputError, NotFoundError
from rosterport.files import file_sha256, private_folder
from rosterport.remote import ConnectionFailed, ConnectionReport, Credentials, Server, UploadFailed
from rosterport.services import roster_store
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import jobs as queue
from rosterport.store import ledger as ledger_store
from rosterport.store import sftp_exports as store
from rosterport.store.jobs import Job

EXPORT = "sftp-export"  # job kind
AFTER_VERSION = "version"  # schedule: after each version in production
MAX_ATTEMPTS = 8  # 2 s, 4 s, … 128 s between attempts: about four minutes in all
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


def _from_row(row: sa.Row[Any]) -> Export:
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
    if not credentials.password and not credentials.private_key:
        raise InputError("give the server's password or a private key")
    plain = {"password": credentials.password, "private_key": credentials.private_key}
    return hub.snapshots.box.encrypt(json.dumps(plain).encode())


def credentials_of(hub: Hub, export: Export) -> Credentials:
    with hub.engine.connect() as conn:
        row = store.export_row(conn, export.id)
    if row is None:
        raise NotFoundError(f"there is no SFTP export {export.id}")
    plain = json.loads(hub.snapshots.box.decrypt(row.secret))
    return Credentials(password=plain.get("password"), private_key=plain.get("private_key"))


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
    with hub.engine.connect() as conn:
        row = store.export_row(conn, export_id)
    if row is None:
        raise NotFoundError(f"there is no SFTP export {export_id}")
    return _from_row(row)


def get_export(hub: Hub, org: Organization, export_id: int) -> Export:
    """An export of the organization (NotFoundError for another organization's)."""
    found = export_by_id(hub, export_id)
    if found.org_id != org.id:
        raise NotFoundError(f"{org.slug} has no SFTP export {export_id}")
    return found


def list_exports(hub: Hub, org: Organization) -> list[Export]:
    with hub.engine.connect() as conn:
        return [_from_row(r) for r in store.export_rows(conn, org_id=org.id)]


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


async def test_connection(hub: Hub, export: Export) -> ConnectionReport:
    """Test Connection: reach, host key (against the pinned one), sign in, list the folder."""
    return await hub.remote_servers().check_connection(
        export.host,
        export.port,
        export.username,
        credentials_of(hub, export),
        path=export.settings.path,
        pinned=export.host_key,
    )


async def trust_host_key(hub: Hub, export: Export, fingerprint: str) -> Export:
    """Pin the server's host key once a person compared its fingerprint."""
    report = await hub.remote_servers().check_connection(
        export.host, export.port, export.username, credentials_of(hub, export)
    )
    if report.host_key is None or report.fingerprint != fingerprint.strip():
        seen = report.fingerprint or "no key (the server could not be reached)"
        raise InputError(
            f"the server's host key is now {seen}, not the {fingerprint} you confirmed; "
            "test the connection again and compare the fingerprint with the server's admin"
        )
    with hub.engine.begin() as conn:
        store.update_export(conn, export.id, host_key=report.host_key)
    return export_by_id(hub, export.id)


# -- scheduling ------------------------------------------------------------------------------


def enqueue(conn: sa.Connection, export_id: int, *, now: datetime, version_id: int | None) -> int:
    """A delivery job for the export, in the caller's transaction."""
    return queue.enqueue(
        conn,
        EXPORT,
        {"export_id": export_id, "version_id": version_id},
        now=now,
        max_attempts=MAX_ATTEMPTS,
    )


def run_now(hub: Hub, export: Export) -> int:
    """Queue one delivery of the export now (the job's id)."""
    with hub.engine.begin() as conn:
        return enqueue(conn, export.id, now=hub.clock(), version_id=None)


def on_in_production(hub: Hub, conn: sa.Connection, version_id: int) -> None:
    """Propagation's hook: `version_id` is in production; queue a delivery for every
    enabled after-each-version export of its organization, when its dataset is the roster
    source (in the caller's transaction: the jobs exist if the version's status commits)."""
    found = store.org_of_version(conn, version_id)
    if found is None:
        return
    org_id, dataset_id = found
    if roster_store.roster_source(conn, org_id) != dataset_id:
        return
    for row in store.export_rows(conn, org_id=org_id):
        export = _from_row(row)
        if export.enabled and export.settings.schedule == AFTER_VERSION:
            enqueue(conn, export.id, now=hub.clock(), version_id=version_id)


def scheduled(hub: Hub) -> list[int]:
    """The worker's chore: queue the timed exports whose time of day has come today in
    their time zone (each once a day); the export ids queued."""
    now = hub.clock()
    queued = []
    with hub.engine.connect() as conn:
        rows = store.export_rows(conn)
    for row in rows:
        export = _from_row(row)
        s = export.settings
        if not export.enabled or s.schedule == AFTER_VERSION:
            continue
        local = now.astimezone(ZoneInfo(s.time_zone))
        if local.strftime("%H:%M") < s.schedule:
            continue
        with hub.engine.begin() as conn:
            if store.take_scheduled_day(conn, export.id, local.date().isoformat()):
                enqueue(conn, export.id, now=now, version_id=None)
                queued.append(export.id)
    return queued


# -- delivering ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Written:
    """The files of one delivery, in a local folder."""

    kind: str
    paths: tuple[Path, ...]
    files: tuple[dict[str, Any], ...]  # name, size, sha256, rows
    left_out: Mapping[str, int]

    @property
    def size(self) -> int:
        return sum(int(f["size"]) for f in self.files)


def write_files(
    hub: Hub, export: Export, source: Any, folder: Path, *, kind: str, after_version: int | None
) -> Written:
    """Write the delivery's CSV files (and the zip) into `folder`."""
    s = export.settings
    written: dict[str, str] = {}
    counts: dict[str, int] = {}
    left_out: dict[str, int] = {}
    classes_left_out = None
    with hub.engine.connect() as conn:
        for collection in cx.FILE_SETS[s.files]:
            path = folder / cx.file_name(collection)
            rows = 0
            dropped = []
            with path.open("wb") as out:
                for chunk in store.objects(
                    conn,
                    source,
                    collection,
                    schools=s.schools or None,
                    after_version=after_version if kind == cx.DELTA else None,
                ):
                    part = cx.rows(collection, chunk, kind=kind, classes_left_out=classes_left_out)
                    part.frame.write_csv(out, include_header=rows == 0)
                    rows += part.frame.height
                    dropped.append(part.left_out)
            if collection == "classes":
                classes_left_out = pl.concat(dropped) if dropped else None
            gone = sum(d.len() for d in dropped)
            if gone:
                left_out[collection] = gone
            if rows:
                written[path.name] = kind
                counts[path.name] = rows
            else:
                path.unlink()  # a header-only file is `empty-file`: absent instead
        slug = store.org_slug(conn, export.org_id)
    cx.manifest(written, system_code=slug).write_csv(folder / cx.MANIFEST)
    names = [*written, cx.MANIFEST]
    files = tuple(
        {
            "name": name,
            "size": (folder / name).stat().st_size,
            "sha256": file_sha256(folder / name),
            "rows": counts.get(name, len(cx.ALL_FILES) + 4 if name == cx.MANIFEST else 0),
        }
        for name in names
    )
    if not s.zipped:
        return Written(kind, tuple(folder / n for n in cx.write_order(names)), files, left_out)
    archive = folder / cx.ZIP_NAME
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zipped:
        for name in cx.write_order(names):
            zipped.write(folder / name, name)
    entry = {
        "name": cx.ZIP_NAME,
        "size": archive.stat().st_size,
        "sha256": file_sha256(archive),
        "entries": list(files),
    }
    return Written(kind, (archive,), (entry,), left_out)


def _kind(hub: Hub, export: Export, now: datetime) -> str:
    s = export.settings
    if not s.delta or export.last_version_id is None or export.last_delivered_at is None:
        return cx.BULK
    if dict(export.scope) != s.scope():
        return cx.BULK  # other schools or files: the receiver's set must be replaced
    if now - export.last_delivered_at >= timedelta(days=hub.tombstone_days):
        return cx.BULK  # deletions older than the retention are no longer known
    return cx.DELTA


def deliver(hub: Hub, job: Job) -> None:
    """Job handler: deliver the roster the store holds now to the export's server."""
    export = export_by_id(hub, int(job.payload["export_id"]))
    with hub.engine.connect() as conn:
        dataset_id = roster_store.roster_source(conn, export.org_id)
        version_id, source = (
            store.held_version(conn, dataset_id) if dataset_id is not None else (None, None)
        )
    if version_id is None or source is None:
        return  # nothing in production yet: nothing to deliver
    now = hub.clock()
    kind = _kind(hub, export, now)
    triggered = job.payload.get("version_id") is not None  # after a version, not "run now"
    if export.last_version_id == version_id and (triggered or kind == cx.DELTA):
        with hub.engine.begin() as conn:  # the receiver has this version already
            ledger_store.record(conn, version_id, export.consumer, state="done", now=now)
        return
    with hub.engine.begin() as conn:
        run_id = store.start_run(
            conn,
            export_id=export.id,
            version_id=version_id,
            kind=kind,
            attempt=job.attempts,
            now=now,
        )
    last = job.attempts >= job.max_attempts
    try:
        with tempfile.TemporaryDirectory(prefix="rosterport-export-") as temporary:
            folder = private_folder(Path(temporary) / "files")
            started = monotonic()
            written = write_files(
                hub, export, source, folder, kind=kind, after_version=export.last_version_id
            )
            wrote = monotonic() - started
            server = Server(
                export.host,
                export.port,
                export.username,
                credentials_of(hub, export),
                export.host_key,
                export.settings.path,
            )
            report = asyncio.run(hub.remote_servers().upload(server, written.paths))
            uploaded = monotonic() - started - wrote
    except (ConnectionFailed, UploadFailed) as error:
        _failed(hub, export, run_id, version_id, str(error), last=last)
        raise UploadFailed(str(error)) from None
    except Exception as error:
        _failed(hub, export, run_id, version_id, f"{type(error).__name__}: {error}", last=last)
        raise
    done = hub.clock()
    with hub.engine.begin() as conn:
        store.finish_run(
            conn,
            run_id,
            state="done",
            now=done,
            detail={
                "files": list(written.files),
                "left_out": dict(written.left_out),
                "write_seconds": round(wrote, 2),  # durations (not times of day)
                "upload_seconds": round(uploaded, 2),
            },
            size=written.size,
        )
        ledger_store.record(conn, version_id, export.consumer, state="done", now=done)
        values: dict[str, Any] = {
            "last_version_id": version_id,
            "last_delivered_at": done,
            "settings": {**export.settings.to_json(), "_scope": export.settings.scope()},
        }
        if export.host_key is None and report.host_key:
            values["host_key"] = report.host_key  # trust on first use, as pulls do
        store.update_export(conn, export.id, **values)


def _failed(
    hub: Hub, export: Export, run_id: int, version_id: int, error: str, *, last: bool
) -> None:
    now = hub.clock()
    with hub.engine.begin() as conn:
        store.finish_run(conn, run_id, state="failed" if last else "retrying", now=now, error=error)
        ledger_store.record(
            conn,
            version_id,
            export.consumer,
            state="failed" if last else "retrying",
            error=error,
            now=now,
        )


def ledger(hub: Hub, export: Export, version_id: int) -> dict[str, Any] | None:
    """The export's row of the delivery ledger for a version."""
    with hub.engine.connect() as conn:
        row = store.delivery(conn, version_id, export.consumer)
    return None if row is None else dict(row._mapping)


def with_settings(export: Export, **changes: Any) -> ExportSettings:
    return replace(export.settings, **changes)


__all__: Sequence[str] = [
    "AFTER_VERSION",
    "EXPORT",
    "Export",
    "ExportSettings",
    "add_export",
    "deliver",
    "get_export",
    "list_exports",
    "on_in_production",
    "run_now",
    "scheduled",
]
