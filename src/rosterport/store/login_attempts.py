"""The sign-in attempts table (`login_failures`): places taken in the rate window."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from rosterport.store.tables import login_failures


def take(conn: sa.Connection, who: str, address: str, *, now: datetime, since: datetime) -> int:
    """Forget the attempts before `since`, record this one; its id."""
    forget(conn, before=since)
    return record(conn, who, address, now=now)


def forget(conn: sa.Connection, *, before: datetime) -> None:
    """Delete the attempts older than `before`."""
    conn.execute(sa.delete(login_failures).where(login_failures.c.at < before))


def record(conn: sa.Connection, who: str, address: str, *, now: datetime) -> int:
    """Record an attempt (a sign-in failure, a place taken); its id."""
    return int(
        conn.execute(
            sa.insert(login_failures)
            .values(email=who, address=address, at=now)
            .returning(login_failures.c.id)
        ).scalar_one()
    )


def count_since(conn: sa.Connection, who: str, address: str, *, since: datetime) -> int:
    """Attempts since `since` for this user name or from this address."""
    return int(
        conn.execute(
            sa.select(sa.func.count()).where(
                login_failures.c.at >= since,
                sa.or_(login_failures.c.email == who, login_failures.c.address == address),
            )
        ).scalar_one()
    )


def remove(conn: sa.Connection, attempt_id: int) -> None:
    conn.execute(sa.delete(login_failures).where(login_failures.c.id == attempt_id))
