"""The in-app notifications table (`notifications`): new ones, an organization's list,
marking them read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import notifications


def insert(conn: sa.Connection, org_id: int, kind: str, message: str, *, now: datetime) -> int:
    """A new notification of the organization; its id."""
    return int(
        conn.execute(
            sa.insert(notifications)
            .values(org_id=org_id, kind=kind, message=message, created_at=now)
            .returning(notifications.c.id)
        ).scalar_one()
    )


def of_org(conn: sa.Connection, org_id: int, *, unread: bool, limit: int) -> list[sa.Row[Any]]:
    """The organization's last `limit` notifications (only unread ones: `unread`), newest first."""
    query = (
        sa.select(notifications)
        .where(notifications.c.org_id == org_id)
        .order_by(notifications.c.id.desc())
        .limit(limit)
    )
    if unread:
        query = query.where(notifications.c.read_at.is_(None))
    return list(conn.execute(query).all())


def mark_read(conn: sa.Connection, org_id: int, ids: Sequence[int], *, now: datetime) -> None:
    """Mark the organization's unread notifications `ids` read at `now`."""
    conn.execute(
        sa.update(notifications)
        .where(
            notifications.c.org_id == org_id,
            notifications.c.id.in_(list(ids)),
            notifications.c.read_at.is_(None),
        )
        .values(read_at=now)
    )
