"""The `deliveries` ledger: each consumer's progress on each version (one row per pair)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from rosterport.store.tables import deliveries


def record(
    conn: sa.Connection,
    version_id: int,
    consumer: str,
    state: str,
    *,
    error: str | None,
    now: datetime,
) -> None:
    """Record an attempt of `consumer` on the version (`state` done or failed)."""
    done = conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.version_id == version_id, deliveries.c.consumer == consumer)
        .values(state=state, attempts=deliveries.c.attempts + 1, last_error=error, updated_at=now)
    )
    if done.rowcount == 0:
        conn.execute(
            sa.insert(deliveries).values(
                version_id=version_id,
                consumer=consumer,
                state=state,
                attempts=1,
                last_error=error,
                updated_at=now,
            )
        )


def of_version(conn: sa.Connection, version_id: int) -> dict[str, str]:
    """consumer → state of the version's deliveries."""
    rows = conn.execute(
        sa.select(deliveries.c.consumer, deliveries.c.state).where(
            deliveries.c.version_id == version_id
        )
    ).all()
    return {r.consumer: r.state for r in rows}
