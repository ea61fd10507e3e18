"""SFTP export delivery: the roster delivered to an application's SFTP server as OneRoster
1.1 CSV (docs/sftp-export.md). The exports themselves (server, settings, credentials) are
`services/sftp_export_targets.py`.

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
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa

from rosterport.clock import monotonic
from rosterport.domain.roster import csv_export as cx
from rosterport.files import file_sha256, private_folder
from rosterport.remote import ConnectionFailed, UploadFailed
from rosterport.services import roster_store
from rosterport.services.hub import Hub
from rosterport.services.sftp_export_targets import (
    AFTER_VERSION,
    EXPORT,
    Export,
    export_by_id,
    from_row,
    server_of,
)
from rosterport.store import jobs as queue
from rosterport.store import ledger as ledger_store
from rosterport.store import sftp_exports as store
from rosterport.store.jobs import Job

MAX_ATTEMPTS = 8  # 2 s, 4 s, … 128 s between attempts: about four minutes in all


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
        export = from_row(row)
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
        export = from_row(row)
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
            server = server_of(hub, export)
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


__all__: Sequence[str] = [
    "EXPORT",
    "MAX_ATTEMPTS",
    "deliver",
    "enqueue",
    "ledger",
    "on_in_production",
    "run_now",
    "scheduled",
    "write_files",
]
