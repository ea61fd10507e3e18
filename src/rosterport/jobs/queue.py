"""The job queue: jobs are rows of the `jobs` table, enqueued in the same transaction as the
state change that causes them (transactional outbox).

Workers claim with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (many workers); on SQLite
the claim runs in a `BEGIN IMMEDIATE` transaction (one writer at a time). A claim is a lease:
a job whose worker died is claimed again once `locked_until` passes. A failed attempt goes
back to the queue after 2^attempts seconds (capped at one hour) until `max_attempts`; then
the job is `failed`, visible, and can be retried.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from rosterport.store.engine import immediate
from rosterport.store.tables import jobs

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def _now() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue(
    conn: sa.Connection,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    max_attempts: int = 5,
) -> int:
    """Add a job in the caller's transaction; it runs only if that transaction commits."""
    now = _now()
    return int(
        conn.execute(
            sa.insert(jobs)
            .values(
                kind=kind,
                payload=payload,
                state=QUEUED,
                attempts=0,
                max_attempts=max_attempts,
                run_at=run_at or now,
                created_at=now,
                updated_at=now,
            )
            .returning(jobs.c.id)
        ).scalar_one()
    )


def claim(
    engine: sa.Engine,
    worker: str,
    *,
    lease: timedelta = timedelta(minutes=5),
    kinds: Sequence[str] | None = None,
    now: datetime | None = None,
) -> Job | None:
    """Take one ready job (queued and due, or running with an expired lease)."""
    now = now or _now()
    ready = sa.or_(
        sa.and_(jobs.c.state == QUEUED, jobs.c.run_at <= now),
        sa.and_(jobs.c.state == RUNNING, jobs.c.locked_until < now),
    )
    query = sa.select(jobs).where(ready).order_by(jobs.c.run_at, jobs.c.id).limit(1)
    if kinds:
        query = query.where(jobs.c.kind.in_(list(kinds)))
    with immediate(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = conn.execute(query).first()
        if row is None:
            return None
        taken = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == row.id, jobs.c.state == row.state, jobs.c.attempts == row.attempts)
            .values(
                state=RUNNING,
                locked_by=worker,
                locked_until=now + lease,
                attempts=row.attempts + 1,
                updated_at=now,
            )
        )
        if taken.rowcount != 1:
            return None
    return Job(row.id, row.kind, dict(row.payload), row.attempts + 1, row.max_attempts)


def complete(engine: sa.Engine, job_id: int, worker: str) -> None:
    now = _now()
    with engine.begin() as conn:
        conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.locked_by == worker)
            .values(state=DONE, finished_at=now, updated_at=now, locked_until=None)
        )


def backoff(attempts: int) -> timedelta:
    """How long a job waits after its `attempts`-th failure."""
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


def fail(
    engine: sa.Engine, job_id: int, worker: str, error: str, *, now: datetime | None = None
) -> str:
    """Record a failed attempt: "retrying" (queued again, later) or "failed" (gave up)."""
    now = now or _now()
    with engine.begin() as conn:
        row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).one()
        gave_up = row.attempts >= row.max_attempts
        conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.locked_by == worker)
            .values(
                state=FAILED if gave_up else QUEUED,
                run_at=row.run_at if gave_up else now + backoff(row.attempts),
                last_error=error[:4000],
                locked_until=None,
                updated_at=now,
                finished_at=now if gave_up else None,
            )
        )
    return "failed" if gave_up else "retrying"


def retry(engine: sa.Engine, job_id: int) -> None:
    """Put a failed job back in the queue, with its attempts reset."""
    now = _now()
    with engine.begin() as conn:
        conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state == FAILED)
            .values(state=QUEUED, attempts=0, run_at=now, updated_at=now, finished_at=None)
        )


def extend_lease(engine: sa.Engine, job_id: int, worker: str, lease: timedelta) -> bool:
    now = _now()
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.locked_by == worker, jobs.c.state == RUNNING)
            .values(locked_until=now + lease, updated_at=now)
        )
    return done.rowcount == 1


def list_jobs(engine: sa.Engine, *, state: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(jobs).order_by(jobs.c.id)
    if state is not None:
        query = query.where(jobs.c.state == state)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
