"""Propagation: each committed version reaches the components that use the data.

For the dataset that is its organization's roster source, the propagation job brings the
roster store (the canonical OneRoster roster the REST API reads; services/roster_store.py)
to the dataset's current version. Other datasets have no read model of their own: their
committed snapshot is what later consumers read. When a version's consumers hold it, its
status becomes "Successfully in production"; when the job gives up, "Propagation failed"
(retry the job).

Rules that keep the roster store right whatever order jobs run in, and across crashes:
- **Production, not the job's version.** A job for version V brings the store to the
  dataset's *current* version P (V itself, or a later one). A job that finds the store
  already at P does nothing but mark V delivered. An older version's job, run late (a
  crashed worker's lease expiring after a newer version propagated), therefore never puts
  old data back.
- **One job per dataset at a time** (`store/read_models.take`); a second job is deferred,
  not failed. A dead job's hold ends with its lease.
- **Compare-and-set.** The change of what the store holds is one small update that
  succeeds only if it still holds what the job read.
- **No long write transactions.** A small change (up to `INCREMENTAL_LIMIT` objects) is
  applied in one transaction. A first load, or a large change, is written as a new
  generation of rows in chunks, each its own transaction, invisible to readers; one small
  transaction swaps it in, and the old generation is deleted afterwards in chunks. A crash
  mid-load leaves the visible rows as they were; the rows it wrote are removed by the next
  load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from rosterport.domain.schemas import get_model
from rosterport.domain.version_status import IN_PRODUCTION, PENDING, PROPAGATION_FAILED
from rosterport.errors import JobDeferred
from rosterport.services import directory, roster_store, scim, sftp_export, vault
from rosterport.services.hub import Hub
from rosterport.store import ledger, read_models
from rosterport.store import propagation as store
from rosterport.store import versions as version_store
from rosterport.store.jobs import Job
from rosterport.store.read_models import Held

READ_MODEL = "read-model"
INCREMENTAL_LIMIT = 200_000  # larger changes are loaded as a new generation
BUSY_RETRY_SECONDS = 2.0  # another job holds the dataset: look again this much later


@dataclass(frozen=True, slots=True)
class _Target:
    """The version a job brings the dataset's read model to."""

    dataset_id: int
    version_id: int  # the dataset's current version


def propagate(hub: Hub, job: Job) -> None:
    """Job handler: bring the read model of version `payload.version_id`'s dataset to the
    dataset's current version (see the module doc)."""
    version_id = int(job.payload["version_id"])
    with hub.engine.connect() as conn:
        row = store.version(conn, version_id)
    try:
        with _holding(hub, row.dataset_id, job):
            _bring_up_to_date(hub, row.dataset_id, version_id, job)
    except JobDeferred:
        raise
    except Exception as error:
        if job.attempts >= job.max_attempts:  # the queue gives up after this attempt
            with hub.engine.begin() as conn:
                _delivered(hub, conn, version_id, "failed", str(error))
                roster_store.gave_up(
                    hub, conn, version_id, org_id=row.org_id, dataset_id=row.dataset_id, error=error
                )
                version_store.set_status(conn, version_id, PROPAGATION_FAILED)
        raise


@contextmanager
def _holding(hub: Hub, dataset_id: int, job: Job) -> Iterator[None]:
    """Hold the dataset's read model for the block (JobDeferred when another job does)."""
    with hub.engine.begin() as conn:
        taken = read_models.take(conn, dataset_id, job.id, hub.clock())
    if not taken:
        raise JobDeferred(
            f"dataset {dataset_id} is being propagated by another job", BUSY_RETRY_SECONDS
        )
    try:
        yield
    finally:
        with hub.engine.begin() as conn:
            read_models.release(conn, dataset_id, job.id)


def _bring_up_to_date(hub: Hub, dataset_id: int, version_id: int, job: Job) -> None:
    with hub.engine.connect() as conn:
        holds = read_models.held(conn, dataset_id)
        current, target_row = store.current_version(conn, dataset_id)
    done = (version_id, current)
    if holds.version_id == current:  # a newer job already brought it here
        with hub.engine.begin() as conn:
            _mark_in_production(hub, conn, done)
        return
    model = get_model(target_row.model)
    plan = roster_store.plan(
        hub, org_id=target_row.org_id, dataset_id=dataset_id, model=model, version_id=current
    )
    target = _Target(dataset_id, int(current))
    directory.propagate(hub, plan, done)  # accounts first: in production means they are there
    vault.propagate(hub, target_row.org_id, model, int(current), done)  # passport-sso only
    if plan is None:  # no read model of its own: hold the version, nothing to write
        with hub.engine.begin() as conn:
            _move(hub, conn, target, job, was=holds, now_holds=Held(current, holds.generation))
            _mark_in_production(hub, conn, done)
        return
    if (
        holds.version_id is None
        or not roster_store.is_loaded(hub, dataset_id, holds.generation)
        or not _apply_changes(hub, plan, target, holds=holds, job=job, done=done)
    ):
        _load_generation(hub, plan, target, holds=holds, job=job, done=done)


def _apply_changes(
    hub: Hub,
    plan: roster_store.Plan,
    target: _Target,
    *,
    holds: Held,
    job: Job,
    done: tuple[int, int],
) -> bool:
    """Apply the changes from what the store holds to `target` in one transaction; False
    (nothing written) when they are too many for one transaction."""
    planned = roster_store.changes(hub, plan, holds.version_id, INCREMENTAL_LIMIT)
    if planned is None:
        return False
    with hub.engine.begin() as conn:
        roster_store.apply(hub, conn, plan, planned, holds.generation)
        _move(
            hub, conn, target, job, was=holds, now_holds=Held(target.version_id, holds.generation)
        )
        _mark_in_production(hub, conn, done)
    return True


def _load_generation(
    hub: Hub,
    plan: roster_store.Plan,
    target: _Target,
    *,
    holds: Held,
    job: Job,
    done: tuple[int, int],
) -> None:
    """Write `target`'s whole roster as a new generation in chunks, swap it in, then delete
    the old rows in chunks (each step its own short transaction)."""
    generation = holds.generation + 1
    roster_store.drop_other_generations(hub, target.dataset_id, keep=holds.generation)
    roster_events = roster_store.load(
        hub, plan, holds.version_id, old=holds.generation, new=generation
    )
    with hub.engine.begin() as conn:
        _move(hub, conn, target, job, was=holds, now_holds=Held(target.version_id, generation))
        # the feed and the store change in the same transaction
        roster_store.publish(hub, conn, plan, roster_events)
        _mark_in_production(hub, conn, done)
    roster_store.drop_other_generations(hub, target.dataset_id, keep=generation)


def _move(
    hub: Hub, conn: sa.Connection, target: _Target, job: Job, *, was: Held, now_holds: Held
) -> None:
    if not read_models.move(
        conn, target.dataset_id, job.id, was=was, now_holds=now_holds, now=hub.clock()
    ):
        # another job changed the read model meanwhile (this one lost its hold): roll back
        raise JobDeferred(
            f"the read model of dataset {target.dataset_id} changed during this job",
            BUSY_RETRY_SECONDS,
        )


def _mark_in_production(hub: Hub, conn: sa.Connection, version_ids: tuple[int, ...]) -> None:
    """The read model holds these versions' data (the job's own, and the current one it
    brought in): delivered, and in production unless something else happened to them."""
    for version_id in sorted(set(version_ids)):
        _delivered(hub, conn, version_id, "done", None)
    store.set_status_of(
        conn,
        sorted(set(version_ids)),
        IN_PRODUCTION,
        when_in=[PENDING, PROPAGATION_FAILED],  # a retried job
    )
    # SFTP exports that deliver after each version in production are queued with it
    sftp_export.on_in_production(hub, conn, max(version_ids))
    scim.on_in_production(hub, conn, max(version_ids))  # and SCIM pushes


def _delivered(
    hub: Hub, conn: sa.Connection, version_id: int, state: str, error: str | None
) -> None:
    ledger.record(conn, version_id, READ_MODEL, state=state, now=hub.clock(), error=error)
