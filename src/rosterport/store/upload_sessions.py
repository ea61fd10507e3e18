"""The upload sessions table: the CSV upload tool's sessions, moved on by compare-and-set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import upload_sessions


def insert(conn: sa.Connection, **values: Any) -> None:
    """A new session row."""
    conn.execute(sa.insert(upload_sessions).values(**values))


def in_org(conn: sa.Connection, org_id: int, session_id: str) -> sa.Row[Any] | None:
    """A session of the organization, if it has one with that id."""
    return conn.execute(
        sa.select(upload_sessions).where(
            upload_sessions.c.id == session_id, upload_sessions.c.org_id == org_id
        )
    ).first()


def move(
    conn: sa.Connection,
    session_id: str,
    values: Mapping[str, Any],
    *,
    was: str,
    written_at: datetime | None = None,
) -> bool:
    """Compare-and-set: the session's new `values` if it is still in state `was` (and was
    last written at `written_at`, when given); whether it moved."""
    query = sa.update(upload_sessions).where(
        upload_sessions.c.id == session_id, upload_sessions.c.state == was
    )
    if written_at is not None:
        query = query.where(upload_sessions.c.updated_at == written_at)
    return bool(conn.execute(query.values(**values)).rowcount == 1)


def past_expiry(conn: sa.Connection, *, now: datetime, states: Sequence[str]) -> list[str]:
    """The ids of the sessions in `states` whose expiry is before `now`."""
    return [
        str(r.id)
        for r in conn.execute(
            sa.select(upload_sessions.c.id).where(
                upload_sessions.c.expires_at < now, upload_sessions.c.state.in_(states)
            )
        )
    ]


def set_state(conn: sa.Connection, ids: Sequence[str], state: str, *, now: datetime) -> None:
    """Put the sessions `ids` in `state`."""
    conn.execute(
        sa.update(upload_sessions)
        .where(upload_sessions.c.id.in_(ids))
        .values(state=state, updated_at=now)
    )
