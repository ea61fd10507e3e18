"""What the roster store shows of a dataset, for tests that check propagation's result."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from rosterport.store.roster import queries as roster
from rosterport.store.tables import roster_objects


def active_object(
    conn: sa.Connection, dataset_id: int, collection: str, sourced_id: str
) -> dict[str, Any] | None:
    """The active object's JSON as the API would serve it, or None (absent or a tombstone)."""
    selection = roster.Selection(roster.visible(conn, dataset_id), collection, only_active=True)
    found = roster.one(conn, selection, sourced_id)
    return None if found is None else dict(json.loads(found.data))


def active_count(conn: sa.Connection, dataset_id: int, collection: str, **equal: str) -> int:
    """Active objects of a collection, narrowed by index columns (`role="student"`)."""
    selection = roster.Selection(
        roster.visible(conn, dataset_id), collection, equal=equal, only_active=True
    )
    return roster.count(conn, selection)


def generations(conn: sa.Connection) -> set[int]:
    """The generations that have rows in the roster store (one, between loads)."""
    return set(conn.execute(sa.select(roster_objects.c.generation).distinct()).scalars())
