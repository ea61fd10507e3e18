"""The job queue: jobs are rows of the `jobs` table, enqueued in the same transaction as the
state change that causes them (transactional outbox), so a job exists if and only if its
cause committed.

Life of a job::

    queued ──claim──▶ running ──complete──▶ done
      ▲                 │ fail (attempts < max_attempts): queued again after a back-off
      └─────────────────┤ fail (attempts = max_attempts): failed ──retry──▶ queued
                        │ lease expired (worker died): claimable again, as if queued

Claiming: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED LIMIT 1` then UPDATE, in one
transaction, so any number of workers take distinct jobs without waiting on each other. On
SQLite the same statements run in a `BEGIN IMMEDIATE` transaction: one writer at a time, the
others wait on the busy timeout. Either way the UPDATE also re-checks the state and the
attempt count it read, so a job is never handed to two workers for the same attempt.

A claim is a lease (`locked_until`): a worker that dies leaves its job to be claimed again
once the lease passes; a worker running a long job extends it (`extend_lease`). Only the
worker holding the lease may complete or fail a job.

Back-off: after a failed attempt number n (1, 2, …) the job waits 2**n seconds, at most one
hour (2 s, 4 s, 8 s, … 1 h). After `max_attempts` attempts it is `failed`: visible in
`list_jobs(state="failed")`, and `retry` puts it back with its attempts reset.

Times are aware UTC datetimes. Every function takes `now` from its caller's clock (the one
injected clock, `rosterport.clock`): nothing here reads the machine's time.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import sqlalchemy as sa

from rosterport.errors import InputError
from rosterport.store.engine import immediate
from rosterport.store.tables import jobs

QUEUED: Final = "queued"
RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"
STATES: Final = (QUEUED, RUNNING, DONE, FAILED)

MAX_BACKOFF: Final = timedelta(hours=1)
DEFAULT_LEASE: Final = timedelta(minutes=5)
MAX_ERROR_LENGTH: Final = 4000  # last_error keeps the start of long messages

Outcome = Literal["retrying", "failed", "lost"]


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job, as its handler sees it (`attempts` counts this attempt)."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def worker_name() -> str:
    """A default worker name: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int) -> timedelta:
    """How long a job waits after its `attempts`-th failed attempt: 2**attempts seconds,
    capped at one hour."""
    if attempts >= 12:  # 2**12 s is already past the cap; avoid huge numbers
        return MAX_BACKOFF
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


def enqueue(
    conn: sa.Connection,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_at: datetime | None = None,
    max_attempts: int = 5,
) -> int:
    """Add a job in the caller's transaction (it exists only if that transaction commits);
    its id. `payload` must be JSON-serializable; the job runs from `run_at` (default now)."""
    if max_attempts < 1:
        raise InputError("max_attempts must be at least 1")
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


def open_payloads(conn: sa.Connection, kind: str) -> list[dict[str, Any]]:
    """The payloads of the queued and running jobs of `kind` (few: scheduled work)."""
    rows = conn.execute(
        sa.select(jobs.c.payload).where(jobs.c.kind == kind, jobs.c.state.in_((QUEUED, RUNNING)))
    )
    return [dict(r.payload) for r in rows]


def claim(
    engine: sa.Engine,
    worker: str,
    *,
    lease: timedelta = DEFAULT_LEASE,
    kinds: Sequence[str] | None = None,
    now: datetime,
) -> Job | None:
    """Take one ready job — queued and due, or running with an expired lease — oldest due
    first; None when there is none. `kinds` limits the kinds taken (None: any)."""
    ready = sa.or_(
        sa.and_(jobs.c.state == QUEUED, jobs.c.run_at <= now),
        sa.and_(jobs.c.state == RUNNING, jobs.c.locked_until < now),
    )
    query = sa.select(jobs).where(ready)
    if kinds is not None:
        query = query.where(jobs.c.kind.in_(list(kinds)))
    query = query.order_by(jobs.c.run_at, jobs.c.id).limit(1)
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
        if taken.rowcount != 1:  # cannot happen under the lock; never hand out a job twice
            return None
    return Job(row.id, row.kind, dict(row.payload), row.attempts + 1, row.max_attempts)


def _held(job_id: int, worker: str) -> sa.ColumnElement[bool]:
    """The job is running under `worker`'s lease."""
    return sa.and_(jobs.c.id == job_id, jobs.c.state == RUNNING, jobs.c.locked_by == worker)


def complete(engine: sa.Engine, job_id: int, worker: str, *, now: datetime) -> None:
    """Mark a job done (nothing happens unless `worker` holds it)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(jobs)
            .where(_held(job_id, worker))
            .values(state=DONE, finished_at=now, updated_at=now, locked_until=None)
        )


def fail(engine: sa.Engine, job_id: int, worker: str, error: str, *, now: datetime) -> Outcome:
    """Record a failed attempt: "retrying" (queued again after `backoff`), "failed" (that
    was the last attempt), or "lost" (`worker` no longer held the job: nothing changed)."""
    with immediate(engine).begin() as conn:
        row = conn.execute(
            sa.select(jobs.c.attempts, jobs.c.max_attempts).where(_held(job_id, worker))
        ).first()
        if row is None:
            return "lost"
        gave_up = row.attempts >= row.max_attempts
        values: dict[str, Any] = {
            "last_error": error[:MAX_ERROR_LENGTH],
            "locked_until": None,
            "updated_at": now,
        }
        if gave_up:
            values.update(state=FAILED, finished_at=now)
        else:
            values.update(state=QUEUED, run_at=now + backoff(row.attempts))
        conn.execute(sa.update(jobs).where(_held(job_id, worker)).values(**values))
    return "failed" if gave_up else "retrying"


def defer(engine: sa.Engine, job_id: int, worker: str, *, run_at: datetime, now: datetime) -> bool:
    """Put a running job back in the queue until `run_at` without counting the attempt
    (it could not start: what it needs is busy); False when `worker` no longer held it."""
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(jobs)
            .where(_held(job_id, worker))
            .values(
                state=QUEUED,
                attempts=jobs.c.attempts - 1,
                run_at=run_at,
                locked_by=None,
                locked_until=None,
                updated_at=now,
            )
        )
    return done.rowcount == 1


def release_dead(engine: sa.Engine, host: str, *, now: datetime) -> list[int]:
    """Make the running jobs of workers on `host` whose process is gone claimable at once
    (a crashed `serve` or `worker` on this machine) instead of after their lease; their ids.

    Worker names are `host:pid` (`worker_name`); a job whose pid no longer runs here is free.
    Workers on other hosts are left to their leases."""
    with engine.connect() as conn:
        running = conn.execute(
            sa.select(jobs.c.id, jobs.c.locked_by).where(
                jobs.c.state == RUNNING, jobs.c.locked_by.like(f"{host}:%")
            )
        ).all()
    dead = [row for row in running if not alive(str(row.locked_by).rpartition(":")[2])]
    freed = []
    for row in dead:
        with engine.begin() as conn:
            done = conn.execute(
                sa.update(jobs)
                .where(jobs.c.id == row.id, jobs.c.locked_by == row.locked_by)
                .values(locked_until=now - timedelta(seconds=1), updated_at=now)
            )
        if done.rowcount == 1:
            freed.append(int(row.id))
    return freed


def alive(pid: str) -> bool:
    """Whether a process with this id runs on this machine (unknown shapes count as alive)."""
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def retry(engine: sa.Engine, job_id: int, *, now: datetime) -> None:
    """Put a failed job back in the queue now, with its attempts reset (its last error
    stays until the next attempt ends). A job that is not failed is left alone."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state == FAILED)
            .values(
                state=QUEUED,
                attempts=0,
                run_at=now,
                locked_by=None,
                locked_until=None,
                updated_at=now,
                finished_at=None,
            )
        )


def extend_lease(
    engine: sa.Engine,
    job_id: int,
    worker: str,
    lease: timedelta,
    *,
    now: datetime,
) -> bool:
    """Hold a running job for `lease` more from now; False when `worker` no longer holds it
    (its lease expired and another worker claimed it, or it ended)."""
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(jobs)
            .where(_held(job_id, worker))
            .values(locked_until=now + lease, updated_at=now)
        )
    return done.rowcount == 1


def list_jobs(engine: sa.Engine, *, state: str | None = None) -> list[dict[str, Any]]:
    """Every job (of one state when given), oldest first, as column → value."""
    query = sa.select(jobs).order_by(jobs.c.id)
    if state is not None:
        query = query.where(jobs.c.state == state)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
