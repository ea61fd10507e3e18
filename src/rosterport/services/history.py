"""Version history: every upload attempt, downloads, and comparing two versions."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import sqlalchemy as sa

from rosterport import blob_keys as keys
from rosterport.domain.changes import ChangeSet, diff, knock_on_effects
from rosterport.domain.preview import Breach, Cascade, Preview
from rosterport.domain.schemas import get_model
from rosterport.errors import InputError
from rosterport.reports import issue_file
from rosterport.services import upload_reports
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.services.snapshot_states import preview
from rosterport.store import versions as stored_versions


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One line of the version history."""

    version: int
    created_at: str
    committed_by: str
    model: str
    mode: str
    status: str
    changes: dict[str, Any]
    restored_from: int | None = None
    filtered: int = 0  # records validation filtered out (Warn): they stay as they were
    issues: int = 0  # issues found by validation, every level (0: an empty errors report)
    breaches: tuple[Breach, ...] = ()  # Held: the safeguards it breached
    cascades: tuple[Cascade, ...] = ()  # knock-on removals, counted, with their detail

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created_at": self.created_at,
            "committed_by": self.committed_by,
            "model": self.model,
            "mode": self.mode,
            "status": self.status,
            "changes": self.changes,
            "restored_from": self.restored_from,
        }


def history(
    hub: Hub,
    org: Organization,
    model: str | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[VersionInfo]:
    """Every version of the organization (or a page of them), newest first."""
    with hub.engine.connect() as conn:
        rows = stored_versions.newest_first(conn, org.id, model=model, limit=limit, offset=offset)
    return [_info(r) for r in rows]


def version_info(hub: Hub, org: Organization, version_id: int) -> VersionInfo:
    """One version of the organization; NotFoundError when it has none with that id."""
    return _info(v.version_row(hub, org, version_id))


def _info(row: sa.Row[Any]) -> VersionInfo:
    detail = dict(row.detail or {})
    return VersionInfo(
        row.id,
        row.created_at.isoformat(timespec="seconds"),
        row.committed_by,
        row.model,
        row.mode,
        row.status,
        dict(row.changes or {}),
        row.restored_from,
        int(detail.get("filtered", 0)),
        sum(int(n) for n in dict(row.summary or {}).values()),
        tuple(Breach.from_json(b) for b in detail.get("safeguards", ())),
        tuple(Cascade.from_json(c) for c in detail.get("cascades", ())),
    )


def download(hub: Hub, org: Organization, version_id: int, what: str) -> bytes:
    """The original files (ZIP) or the error report (CSV) of a version, whole: for small
    versions and tests (`report_download` and `write_originals` stream)."""
    if what == "report":
        return b"".join(report_download(hub, org, version_id))
    buffer = io.BytesIO()
    write_originals(hub, org, version_id, buffer)
    return buffer.getvalue()


def report_download(hub: Hub, org: Organization, version_id: int) -> Iterator[bytes]:
    """The error report of a version as CSV, a part at a time (made from its issue file)."""
    row = v.version_row(hub, org, version_id)
    if row.report is None:
        raise InputError(f"version {version_id} has no report to download")
    return upload_reports.report_chunks(hub, row.report)


def version_issues(
    hub: Hub, org: Organization, version_id: int, query: issue_file.IssueQuery
) -> issue_file.IssuePage:
    """A page of the issues of a version's validation (see `upload_reports.issue_page`)."""
    row = v.version_row(hub, org, version_id)
    if row.report is None:
        raise InputError(f"version {version_id} has no validation report")
    return upload_reports.issue_page(hub, row.report, query)


def write_originals(hub: Hub, org: Organization, version_id: int, out: BinaryIO) -> None:
    """The uploaded files of a version as a ZIP written to `out`, each file copied in
    chunks (a 500 MB upload never sits in memory)."""
    row = v.version_row(hub, org, version_id)
    if row.originals is None:
        raise InputError(f"version {version_id} has no originals to download")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for blob in hub.blobs.keys(row.originals):
            entry = archive.open(keys.name_of(blob), "w", force_zip64=True)
            with hub.blobs.open(blob) as source, entry as target:
                shutil.copyfileobj(source, target, 1 << 20)


def compare(hub: Hub, org: Organization, first: int, second: int) -> ChangeSet:
    """What changes from version `first` to version `second` (same data model)."""
    a, b = v.version_row(hub, org, first), v.version_row(hub, org, second)
    if a.model != b.model:
        raise InputError(f"versions {first} ({a.model}) and {second} ({b.model}) hold other models")
    for row in (a, b):
        if row.snapshot is None:
            raise InputError(f"version {row.id} is {row.status}: it has no data to compare")
    model = get_model(a.model)
    files = {
        s.name: diff(
            s,
            hub.snapshots.read_file(a.snapshot, model, s.name),
            hub.snapshots.read_file(b.snapshot, model, s.name),
        )
        for s in model.files
    }
    return ChangeSet(files, knock_on_effects(model, files))


def restore(
    hub: Hub,
    org: Organization,
    version_id: int,
    *,
    committed_by: str,
    source: str,
    dry_run: bool = False,
    allow_deletions: bool = False,
) -> tuple[int | None, str, Preview]:
    """A new version whose content equals version `version_id`, with its own preview."""
    row = v.version_row(hub, org, version_id)
    if row.snapshot is None:
        raise InputError(f"version {version_id} is {row.status}: it has no data to restore")
    model = get_model(row.model)
    ds = v.dataset(hub, org, row.model)
    result = preview(hub, org, model, ds.current_version, row.snapshot)  # shares the snapshot
    if dry_run:
        return None, "dry run", result
    recorded = v.Recorded(
        committed_by, source, "full", row.originals, row.report, {}, {}, restored_from=version_id
    )
    version, status = v.commit(
        hub, ds, result.verified(), recorded, allow_deletions=allow_deletions
    )
    return version, status, result
