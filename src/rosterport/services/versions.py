"""Versions: a dataset's history of uploads, committed atomically, held, approved, retried,
discarded.

Commit protocol (DESIGN.md, "Storage"): the new snapshot is written first (validation writes
it under the session; the commit moves it to a fresh prefix); then ONE database transaction
inserts the version, moves the dataset's current-version pointer only if it still equals the
version the preview was computed from (compare-and-set), and enqueues the propagation job.
A crash before the transaction leaves an unused snapshot (production unchanged); a crash
after it leaves the new version in production with its job queued. Never half.

The preview it commits is computed by `services/snapshot_states.py`; a version's statuses
are `domain/version_status.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from rosterport import blob_keys as keys
from rosterport.domain.preview import Verified
from rosterport.domain.schemas import get_model
from rosterport.domain.version_status import (
    DISCARDED,
    HELD,
    PENDING,
    PROPAGATION_FAILED,
    VALIDATION_ERRORS,
)
from rosterport.errors import InputError, NotFoundError, ProductionChangedError, StateError
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import versions as store
from rosterport.store.engine import immediate
from rosterport.store.jobs import enqueue

PROPAGATE = "propagate"  # the job kind a commit enqueues


@dataclass(frozen=True, slots=True)
class Dataset:
    id: int
    org_id: int
    model: str
    current_version: int | None


def dataset(hub: Hub, org: Organization, model: str) -> Dataset:
    """The organization's dataset of `model`, created empty on first use."""
    get_model(model)
    if model not in org.settings.models:
        raise InputError(f"the data model {model} is not enabled for {org.slug}")
    with immediate(hub.engine).begin() as conn:  # read, then maybe create: one writer
        row = store.dataset_row(conn, org.id, model)
        if row is None:
            row = store.create_dataset(conn, org.id, model)
    return Dataset(row.id, row.org_id, row.model, row.current_version_id)


def current_version(hub: Hub, org: Organization, model: str) -> int | None:
    """The production version of the organization's dataset of `model`, if any (read only:
    no dataset is created)."""
    with hub.engine.connect() as conn:
        return store.current_version(conn, org.id, model)


def version_row(hub: Hub, org: Organization, version_id: int) -> sa.Row[Any]:
    """A version of the organization; InputError when it has none with that id."""
    with hub.engine.connect() as conn:
        row = store.in_org(conn, org.id, version_id)
    if row is None:
        raise NotFoundError(f"{org.slug} has no version {version_id}; see the version history")
    return row


def status(hub: Hub, version_id: int) -> str:
    """A version's status (Pending propagation, Successfully in production, Held…)."""
    with hub.engine.connect() as conn:
        return store.status(conn, version_id)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the history keeps of an upload attempt, besides the snapshot."""

    committed_by: str
    source: str
    mode: str
    originals: str | None = None
    report: str | None = None
    summary: Mapping[str, int] = field(default_factory=dict)
    detail: Mapping[str, Any] = field(default_factory=dict)
    restored_from: int | None = None


def record_failed(hub: Hub, ds: Dataset, recorded: Recorded) -> int:
    """A version for an upload that failed validation: kept in the history, never current."""
    with hub.engine.begin() as conn:
        return _insert_version(
            conn, hub, ds, recorded, status=VALIDATION_ERRORS, base=None, snapshot=None, changes={}
        )


def commit(
    hub: Hub,
    ds: Dataset,
    result: Verified,
    recorded: Recorded,
    *,
    allow_deletions: bool = False,
    target: str | None = None,
) -> tuple[int, str]:
    """Write the snapshot, then commit atomically (or hold when a safeguard is breached).

    A session's staged state moves to `target` (default: a new prefix); when it is not
    there any more, an earlier attempt with the same target already moved it. Returns
    (version id, status). ProductionChangedError when production moved since the preview.
    """
    prefix = result.snapshot
    if keys.is_session_key(prefix):  # a session's staged state becomes the version's
        prefix = target or keys.new_snapshot()
        if _has_blobs(hub, result.snapshot) or not _has_blobs(hub, prefix):
            hub.blobs.move_prefix(result.snapshot, prefix)
    hub.crash_point("after-snapshot")
    counts = result.counts()
    if result.breaches and not allow_deletions:
        with hub.engine.begin() as conn:
            held = _insert_version(
                conn,
                hub,
                ds,
                recorded,
                status=HELD,
                base=result.base_version,
                snapshot=prefix,
                changes=counts,
                extra={
                    "breaches": [b.sentence() for b in result.breaches],
                    "safeguards": [b.to_json() for b in result.breaches],
                },
            )
        return held, HELD
    with hub.engine.begin() as conn:
        version_id = _insert_version(
            conn,
            hub,
            ds,
            recorded,
            status=PENDING,
            base=result.base_version,
            snapshot=prefix,
            changes=counts,
        )
        hub.crash_point("after-version-insert")
        _move_pointer(conn, ds.id, result.base_version, version_id)
        enqueue(conn, PROPAGATE, {"version_id": version_id}, now=hub.clock())
        hub.crash_point("before-transaction-commit")
    hub.crash_point("after-commit")
    return version_id, PENDING


def _has_blobs(hub: Hub, prefix: str) -> bool:
    return next(iter(hub.blobs.keys(prefix)), None) is not None


def version_with_snapshot(hub: Hub, ds: Dataset, prefix: str) -> tuple[int, str] | None:
    """The version of the dataset whose snapshot is at `prefix` (id, status), if any."""
    with hub.engine.connect() as conn:
        return store.with_snapshot(conn, ds.id, prefix)


def approve(hub: Hub, org: Organization, version_id: int) -> int:
    """Commit a held version (its preview's base must still be production)."""
    row = version_row(hub, org, version_id)
    if row.status != HELD:
        raise StateError(f"version {version_id} is {row.status}, not Held: nothing to approve")
    with hub.engine.begin() as conn:
        _move_pointer(conn, row.dataset_id, row.base_version_id, version_id)
        store.set_status(conn, version_id, PENDING)
        enqueue(conn, PROPAGATE, {"version_id": version_id}, now=hub.clock())
    return version_id


def retry_propagation(hub: Hub, org: Organization, version_id: int) -> int:
    """Queue the propagation of a version whose propagation failed (the queue gave up after
    its attempts) once more; the new job's id. The version is Pending propagation again
    until the job ends; a second retry of the same version meanwhile is refused."""
    row = version_row(hub, org, version_id)
    if row.status != PROPAGATION_FAILED:
        raise StateError(
            f"version {version_id} is {row.status}, not {PROPAGATION_FAILED}: nothing to retry"
        )
    with hub.engine.begin() as conn:
        moved = store.set_status(conn, version_id, PENDING, expected=PROPAGATION_FAILED)
        if not moved:  # another retry got there first
            raise StateError(f"version {version_id} is being propagated again already")
        return enqueue(conn, PROPAGATE, {"version_id": version_id}, now=hub.clock())


def discard(hub: Hub, org: Organization, version_id: int) -> None:
    """Drop a held version: it stays in the history as Discarded."""
    row = version_row(hub, org, version_id)
    if row.status != HELD:
        raise StateError(f"version {version_id} is {row.status}, not Held: it cannot be discarded")
    with hub.engine.begin() as conn:
        store.set_status(conn, version_id, DISCARDED)


def _move_pointer(conn: sa.Connection, dataset_id: int, base: int | None, version_id: int) -> None:
    """Compare-and-set the dataset's current version from `base` to `version_id`."""
    if not store.move_pointer(conn, dataset_id, base, version_id):
        raise ProductionChangedError(
            "production changed since your preview (another version was committed); "
            "validate again to see the changes against the new production data"
        )


def _insert_version(
    conn: sa.Connection,
    hub: Hub,
    ds: Dataset,
    recorded: Recorded,
    *,
    status: str,
    base: int | None,
    snapshot: str | None,
    changes: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> int:
    detail = {**recorded.detail, **(extra or {})}
    return store.insert(
        conn,
        dataset_id=ds.id,
        org_id=ds.org_id,
        model=ds.model,
        created_at=hub.clock(),
        committed_by=recorded.committed_by,
        source=recorded.source,
        mode=recorded.mode,
        status=status,
        base_version_id=base,
        restored_from=recorded.restored_from,
        snapshot=snapshot,
        originals=recorded.originals,
        report=recorded.report,
        changes=dict(changes),
        summary=dict(recorded.summary),
        detail=detail,
    )
