"""What each dataset's read model holds (`read_models`), and who may change it.

- `version_id`, `generation`: the version whose state the read model holds, and the
  generation of `records` rows readers see.
- `locked_by_job`: the propagation job applying a version to it. One job at a time per
  dataset: a job takes the row when no other job holds it, or when the holder is no longer
  running under a live lease (it crashed), so a dead job never blocks the dataset.
- Every change of what is held is a compare-and-set against what the job read, so a stale
  job can never put an older state over a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from rosterport.store.tables import jobs, read_models


@dataclass(frozen=True, slots=True)
class Held:
    """What a read model holds."""

    version_id: int | None
    generation: int


def held(conn: sa.Connection, dataset_id: int) -> Held:
    """What the dataset's read model holds (nothing yet: version None, generation 0)."""
    row = conn.execute(
        sa.select(read_models.c.version_id, read_models.c.generation).where(
            read_models.c.dataset_id == dataset_id
        )
    ).first()
    return Held(None, 0) if row is None else Held(row.version_id, int(row.generation))


def take(conn: sa.Connection, dataset_id: int, job_id: int, now: datetime) -> bool:
    """Let job `job_id` hold the dataset's read model; False when another live job does."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        dialect_insert(read_models)
        .values(dataset_id=dataset_id, version_id=None, generation=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["dataset_id"])
    )
    holder_alive = (
        sa.select(jobs.c.id)
        .where(
            jobs.c.id == read_models.c.locked_by_job,
            jobs.c.state == "running",
            jobs.c.locked_until >= now,
        )
        .exists()
    )
    taken = conn.execute(
        sa.update(read_models)
        .where(
            read_models.c.dataset_id == dataset_id,
            sa.or_(
                read_models.c.locked_by_job.is_(None),
                read_models.c.locked_by_job == job_id,
                ~holder_alive,
            ),
        )
        .values(locked_by_job=job_id)
    )
    return taken.rowcount == 1


def release(conn: sa.Connection, dataset_id: int, job_id: int) -> None:
    """Job `job_id` no longer holds the dataset's read model."""
    conn.execute(
        sa.update(read_models)
        .where(read_models.c.dataset_id == dataset_id, read_models.c.locked_by_job == job_id)
        .values(locked_by_job=None)
    )


def move(
    conn: sa.Connection,
    dataset_id: int,
    job_id: int,
    *,
    was: Held,
    now_holds: Held,
    now: datetime,
) -> bool:
    """Record that the read model now holds `now_holds`, if it still held `was` and job
    `job_id` still holds it; False otherwise (nothing changed: the caller rolls back)."""
    version = read_models.c.version_id
    moved = conn.execute(
        sa.update(read_models)
        .where(
            read_models.c.dataset_id == dataset_id,
            read_models.c.locked_by_job == job_id,
            version.is_(None) if was.version_id is None else version == was.version_id,
            read_models.c.generation == was.generation,
        )
        .values(version_id=now_holds.version_id, generation=now_holds.generation, updated_at=now)
    )
    return moved.rowcount == 1
