"""Propagation: each committed version reaches the components that use the data.

In this release the one consumer is the read model: every record of the dataset's current
version as a row of the `records` table, queryable by key. The first version loads the whole
state (bulk path); later versions apply only their change set. Delivery is at-least-once
and the apply is idempotent. When the consumer has applied a version, its status becomes
"Successfully in production"; when the job gives up, "Propagation failed" (retry the job).
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from rosterport.domain.changes import diff, state_key
from rosterport.domain.schemas import get_model
from rosterport.jobs.queue import Job
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.store.records import apply_record_changes, clear_records, insert_records
from rosterport.store.tables import deliveries, versions

READ_MODEL = "read-model"
CHUNK = 250_000  # records serialized and written at a time


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


def propagate(hub: Hub, job: Job) -> None:
    """Job handler: apply version `payload.version_id` to the read model."""
    version_id = int(job.payload["version_id"])
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(versions).where(versions.c.id == version_id)).one()
    model = get_model(row.model)
    try:
        base = v.snapshot_of(hub, row.base_version_id)
        with hub.engine.begin() as conn:
            for schema in model.files:  # one file at a time: memory holds one file's states
                key = state_key(schema)
                secrets = {c.name for c in schema.columns if c.secret}
                after = hub.snapshots.read_file(row.snapshot, model, schema.name)
                if row.base_version_id is None:
                    clear_records(conn, dataset_id=row.dataset_id, entity=schema.name)
                    for start in range(0, after.height, CHUNK):  # bounded memory
                        chunk = after.slice(start, CHUNK)
                        insert_records(
                            conn,
                            org_id=row.org_id,
                            dataset_id=row.dataset_id,
                            entity=schema.name,
                            version_id=version_id,
                            keys=record_keys(chunk, key),
                            rows_json=record_json(chunk, secrets),
                        )
                    continue
                changes = diff(schema, v.state_of(hub, model, base, schema.name), after)
                touched = pl.concat(
                    [changes.added.select(key), changes.updated.select(key).unique()]
                )
                upserts = after.join(touched, on=key, how="semi", nulls_equal=True)
                apply_record_changes(
                    conn,
                    org_id=row.org_id,
                    dataset_id=row.dataset_id,
                    entity=schema.name,
                    version_id=version_id,
                    upsert_keys=record_keys(upserts, key),
                    upsert_json=record_json(upserts, secrets),
                    delete_keys=record_keys(changes.removed, key),
                )
            _delivered(hub, conn, version_id, "done", None)
            conn.execute(
                sa.update(versions)
                .where(
                    versions.c.id == version_id,
                    versions.c.status.in_([v.PENDING, v.PROPAGATION_FAILED]),  # a retried job
                )
                .values(status=v.IN_PRODUCTION)
            )
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
