"""The figures `/metrics` publishes, read from the metadata database (every process sees
the same: nothing is counted in memory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from rosterport.store.tables import jobs, upload_sessions, versions


@dataclass(frozen=True, slots=True)
class Figures:
    jobs: dict[tuple[str, str], int]  # (kind, state) → jobs
    oldest_queued_seconds: dict[str, float]  # kind → age of its oldest due queued job
    uploads: dict[str, int]  # upload session state → sessions
    versions: dict[str, int]  # version status → versions
    propagation_lag_seconds: float  # age of the oldest version still pending propagation


def figures(conn: sa.Connection, now: datetime) -> Figures:
    """Counts by state and the ages of what waits, as of `now`."""
    job_counts = {
        (str(kind), str(state)): int(n)
        for kind, state, n in conn.execute(
            sa.select(jobs.c.kind, jobs.c.state, sa.func.count()).group_by(
                jobs.c.kind, jobs.c.state
            )
        )
    }
    oldest = {
        str(kind): max(0.0, (now - _aware(run_at)).total_seconds())
        for kind, run_at in conn.execute(
            sa.select(jobs.c.kind, sa.func.min(jobs.c.run_at))
            .where(jobs.c.state == "queued", jobs.c.run_at <= now)
            .group_by(jobs.c.kind)
        )
        if run_at is not None
    }
    uploads = {
        str(state): int(n)
        for state, n in conn.execute(
            sa.select(upload_sessions.c.state, sa.func.count()).group_by(upload_sessions.c.state)
        )
    }
    version_counts = {
        str(status): int(n)
        for status, n in conn.execute(
            sa.select(versions.c.status, sa.func.count()).group_by(versions.c.status)
        )
    }
    pending = conn.execute(
        sa.select(sa.func.min(versions.c.created_at)).where(
            versions.c.status == "Pending propagation"
        )
    ).scalar()
    lag = 0.0 if pending is None else max(0.0, (now - _aware(pending)).total_seconds())
    return Figures(job_counts, oldest, uploads, version_counts, lag)


def _aware(value: datetime | str) -> datetime:
    """A timestamp as an aware UTC datetime (MIN() keeps the column's type; be safe)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
