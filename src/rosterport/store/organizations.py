"""The organizations table: look-ups by slug or id, creation, settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import organizations


def by_slug(conn: sa.Connection, slug: str) -> sa.Row[Any] | None:
    """The organization called `slug` (id, slug, name, settings), or None."""
    return conn.execute(sa.select(organizations).where(organizations.c.slug == slug)).first()


def by_id(conn: sa.Connection, org_id: int) -> sa.Row[Any] | None:
    """The organization with id `org_id`, or None."""
    return conn.execute(sa.select(organizations).where(organizations.c.id == org_id)).first()


def all_by_slug(conn: sa.Connection) -> list[sa.Row[Any]]:
    """Every organization, ordered by slug."""
    return list(conn.execute(sa.select(organizations).order_by(organizations.c.slug)).all())


def insert(
    conn: sa.Connection, slug: str, name: str, settings: dict[str, Any], *, now: datetime
) -> int:
    """A new organization's row; its id."""
    return int(
        conn.execute(
            sa.insert(organizations)
            .values(slug=slug, name=name, settings=settings, created_at=now)
            .returning(organizations.c.id)
        ).scalar_one()
    )


def set_settings(conn: sa.Connection, org_id: int, settings: dict[str, Any]) -> None:
    conn.execute(
        sa.update(organizations).where(organizations.c.id == org_id).values(settings=settings)
    )
