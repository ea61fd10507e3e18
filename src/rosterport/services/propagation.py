"""Propagation: each committed version reaches the components that use the data.

Two consumers move together, in the same job, held state and transactions: the read model
(every record of the dataset's current version as a row of the `records` table, queryable by
key) and, for the dataset that is its organization's roster source, the roster store (the
canonical OneRoster roster the REST API reads; services/roster_store.py). When both hold a
version, its status becomes "Successfully in production"; when the job gives up,
"Propagation failed" (retry the job).

Rules that keep the read model right whatever order jobs run in, and across crashes:
- **Production, not the job's version.** A job for version V brings the read model to the
  dataset's *current* version P (V itself, or a later one). A job that finds the read model
  already at P does nothing but mark V delivered. An older version's job, run late (a
  crashed worker's lease expiring after a newer version propagated), therefore never puts
  old data back.
- **One job per dataset at a time** (`store/read_models.take`); a second job is deferred,
  not failed. A dead job's hold ends with its lease.
- **Compare-and-set.** The change of what the read model holds is one small update that
  succeeds only if it still holds what the job read.
- **No long write transactions.** A small change (up to `INCREMENTAL_LIMIT` records) is
  applied in one transaction. A first load, or a large change, is written as a new
  generation of rows in chunks of `CHUNK` records, each its own transaction, invisible to
  readers; one small transaction swaps it in, and the old generation is deleted afterwards
  in chunks. A crash mid-load leaves the visible rows as they were; the rows it wrote are
  removed by the next load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from rosterport.domain.changes import diff, state_key
from rosterport.domain.schemas import DataModel, FileSchema, get_model
from rosterport.errors import JobDeferred
from rosterport.jobs.queue import Job
from rosterport.services import directory, roster_store, vault
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.store import read_models
from rosterport.store.read_models import Held
from rosterport.store.records import (
    apply_record_changes,
    clear_records,
    drop_other_generations,
    insert_records,
)
from rosterport.store.tables import datasets, deliveries, versions

READ_MODEL = "read-model"
CHUNK = 100_000  # records serialized and written per transaction of a generation load
INCREMENTAL_LIMIT = 200_000  # larger changes are loaded as a new generation
BUSY_RETRY_SECONDS = 2.0  # another job holds the dataset: look again this much later


def record_keys(frame: pl.DataFrame, key: list[str]) -> list[str]:
    """The read model's key text of each record: key values joined by "/"."""
    if not frame.height:
        return []
    text = frame.select(
        pl.concat_str([pl.col(c).fill_null("") for c in key], separator="/").alias("k")
    )
    return text.get_column("k").to_list()


def record_json(frame: pl.DataFrame, secrets: set[str]) -> list[str]:
    """Each record as JSON (secret columns left out: they stay in the encrypted snapshot)."""
    if not frame.height:
        return []
    public = [c for c in frame.columns if c not in secrets]
    return frame.select(pl.struct(public).struct.json_encode().alias("j")).get_column("j").to_list()


def _secrets(schema: FileSchema) -> set[str]:
    return {c.name for c in schema.columns if c.secret}


@dataclass(frozen=True, slots=True)
class _Target:
    """The version a job brings the read model to, and where it came from."""

    org_id: int
    dataset_id: int
    model: DataModel
    version_id: int  # the dataset's current version
    snapshot: str
    roster: roster_store.Plan | None = None  # the roster store's step (roster source only)


def propagate(hub: Hub, job: Job) -> None:
    """Job handler: bring the read model of version `payload.version_id`'s dataset to the
    dataset's current version (see the module doc)."""
    version_id = int(job.payload["version_id"])
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(versions).where(versions.c.id == version_id)).one()
    try:
        with _holding(hub, row.dataset_id, job):
            _bring_up_to_date(hub, row.dataset_id, version_id, job)
    except JobDeferred:
        raise
    except Exception as error:
        if job.attempts >= job.max_attempts:  # the queue gives up after this attempt
            with hub.engine.begin() as conn:
                _delivered(hub, conn, version_id, "failed", str(error))
                conn.execute(
                    sa.update(versions)
                    .where(versions.c.id == version_id)
                    .values(status=v.PROPAGATION_FAILED)
                )
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
        current = conn.execute(
            sa.select(datasets.c.current_version_id).where(datasets.c.id == dataset_id)
        ).scalar_one()
        target_row = conn.execute(
            sa.select(versions.c.org_id, versions.c.model, versions.c.snapshot).where(
                versions.c.id == current
            )
        ).one()
    done = (version_id, current)
    if holds.version_id == current:  # a newer job already brought it here
        with hub.engine.begin() as conn:
            _mark_in_production(hub, conn, done)
        return
    model = get_model(target_row.model)
    plan = roster_store.plan(
        hub, org_id=target_row.org_id, dataset_id=dataset_id, model=model, version_id=current
    )
    target = _Target(
        target_row.org_id, dataset_id, model, int(current), str(target_row.snapshot), plan
    )
    directory.propagate(hub, plan, done)  # accounts first: in production means they are there
    vault.propagate(hub, target_row.org_id, model, int(current), done)  # passport-sso only
    if (
        holds.version_id is None
        or (plan is not None and not roster_store.is_loaded(hub, dataset_id, holds.generation))
        or not _apply_changes(hub, target, holds, job, done)
    ):
        _load_generation(hub, target, holds, job, done)


def _apply_changes(hub: Hub, target: _Target, holds: Held, job: Job, done: tuple[int, int]) -> bool:
    """Apply the changes from what the read model holds to `target` in one transaction;
    False (nothing written) when they are too many for one transaction."""
    base = v.snapshot_of(hub, holds.version_id)
    planned = []
    total = 0
    for schema in target.model.files:  # diffs first: the transaction only writes
        key = state_key(schema)
        after = hub.snapshots.read_file(target.snapshot, target.model, schema.name)
        changes = diff(schema, v.state_of(hub, target.model, base, schema.name), after)
        touched = pl.concat([changes.added.select(key), changes.updated.select(key).unique()])
        total += touched.height + changes.removed.height
        if total > INCREMENTAL_LIMIT:
            return False
        upserts = after.join(touched, on=key, how="semi", nulls_equal=True)
        secrets = _secrets(schema)
        planned.append(
            (
                schema.name,
                record_keys(upserts, key),
                record_json(upserts, secrets),
                record_keys(changes.removed, key),
            )
        )
        del after, changes, upserts
    roster_changes = None
    if target.roster is not None:
        roster_changes = roster_store.changes(
            hub, target.roster, holds.version_id, INCREMENTAL_LIMIT - total
        )
        if roster_changes is None:
            return False
    with hub.engine.begin() as conn:
        for entity, upsert_keys, upsert_json, delete_keys in planned:
            apply_record_changes(
                conn,
                org_id=target.org_id,
                dataset_id=target.dataset_id,
                entity=entity,
                version_id=target.version_id,
                upsert_keys=upsert_keys,
                upsert_json=upsert_json,
                delete_keys=delete_keys,
                generation=holds.generation,
            )
        if target.roster is not None and roster_changes is not None:
            roster_store.apply(hub, conn, target.roster, roster_changes, holds.generation)
        _move(
            hub, conn, target, job, was=holds, now_holds=Held(target.version_id, holds.generation)
        )
        _mark_in_production(hub, conn, done)
    return True


def _load_generation(
    hub: Hub, target: _Target, holds: Held, job: Job, done: tuple[int, int]
) -> None:
    """Write `target`'s whole state as a new generation in chunks, swap it in, then delete
    the old rows in chunks (each step its own short transaction)."""
    generation = holds.generation + 1
    _drop_unseen(hub, target.dataset_id, keep=holds.generation)  # what a crashed load left
    for schema in target.model.files:  # one file at a time: memory holds one file's state
        key = state_key(schema)
        secrets = _secrets(schema)
        after = hub.snapshots.read_file(target.snapshot, target.model, schema.name)
        with hub.engine.begin() as conn:
            clear_records(
                conn, dataset_id=target.dataset_id, entity=schema.name, generation=generation
            )
        for start in range(0, after.height, CHUNK):
            chunk = after.slice(start, CHUNK)
            with hub.engine.begin() as conn:
                insert_records(
                    conn,
                    org_id=target.org_id,
                    dataset_id=target.dataset_id,
                    entity=schema.name,
                    version_id=target.version_id,
                    keys=record_keys(chunk, key),
                    rows_json=record_json(chunk, secrets),
                    generation=generation,
                )
        del after
    if target.roster is not None:
        roster_store.load(
            hub, target.roster, holds.version_id, old=holds.generation, new=generation
        )
    with hub.engine.begin() as conn:
        _move(hub, conn, target, job, was=holds, now_holds=Held(target.version_id, generation))
        _mark_in_production(hub, conn, done)
    _drop_unseen(hub, target.dataset_id, keep=generation)


def _drop_unseen(hub: Hub, dataset_id: int, *, keep: int) -> None:
    """Delete the dataset's rows of every generation but `keep`, a chunk per transaction."""
    while True:
        with hub.engine.begin() as conn:
            if drop_other_generations(conn, dataset_id=dataset_id, keep=keep) == 0:
                break
    roster_store.drop_other_generations(hub, dataset_id, keep=keep)


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
    conn.execute(
        sa.update(versions)
        .where(
            versions.c.id.in_(sorted(set(version_ids))),
            versions.c.status.in_([v.PENDING, v.PROPAGATION_FAILED]),  # a retried job
        )
        .values(status=v.IN_PRODUCTION)
    )


def _delivered(
    hub: Hub, conn: sa.Connection, version_id: int, state: str, error: str | None
) -> None:
    now = hub.clock()
    done = conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.version_id == version_id, deliveries.c.consumer == READ_MODEL)
        .values(state=state, attempts=deliveries.c.attempts + 1, last_error=error, updated_at=now)
    )
    if done.rowcount == 0:
        conn.execute(
            sa.insert(deliveries).values(
                version_id=version_id,
                consumer=READ_MODEL,
                state=state,
                attempts=1,
                last_error=error,
                updated_at=now,
            )
        )
