"""The change feed (`events`) and how far each organization's feed was purged
(`event_horizons`): every query on them. Every function runs in the caller's transaction.

Event ids are the feed's cursors. One organization's events are written by one propagation
job at a time (its roster source is held), each version's in one transaction, so within an
organization ids grow in commit order and a reader that has seen id N has seen every event of
that organization up to N."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from rosterport.store.bulk import insert_frame
from rosterport.store.tables import event_horizons, events

COLUMNS = [
    "org_id",
    "version_id",
    "type",
    "collection",
    "sourced_id",
    "data",
    "previous",
    "occurred_at",
    "created_at",
]


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    version_id: int
    type: str
    collection: str | None
    sourced_id: str | None
    data: str
    previous: str | None
    occurred_at: datetime


def write(
    conn: sa.Connection,
    frame: pl.DataFrame,
    *,
    org_id: int,
    version_id: int,
    occurred_at: datetime,
    now: datetime,
) -> None:
    """Append events (`type`, `collection`, `sourced_id`, `data`, `previous`), in order."""
    if not frame.height:
        return
    stamped = frame.select(
        pl.lit(org_id, pl.Int64).alias("org_id"),
        pl.lit(version_id, pl.Int64).alias("version_id"),
        "type",
        "collection",
        "sourced_id",
        "data",
        "previous",
        pl.lit(occurred_at, pl.Datetime("us", "UTC")).alias("occurred_at"),
        pl.lit(now, pl.Datetime("us", "UTC")).alias("created_at"),
    )
    insert_frame(conn, "events", COLUMNS, stamped)


def latest_id(conn: sa.Connection, org_id: int) -> int:
    """The organization's newest event id, else the newest it ever purged, else 0."""
    newest = conn.execute(sa.select(sa.func.max(events.c.id)).where(events.c.org_id == org_id))
    found = newest.scalar()
    return int(found) if found is not None else purged_through(conn, org_id)


def purged_through(conn: sa.Connection, org_id: int) -> int:
    found = conn.execute(
        sa.select(event_horizons.c.purged_through).where(event_horizons.c.org_id == org_id)
    ).scalar()
    return int(found or 0)


def page(
    conn: sa.Connection,
    org_id: int,
    *,
    after: int,
    limit: int,
    types: Sequence[str] | None,
    hidden: Sequence[str] = (),
) -> list[EventRow]:
    """Up to `limit` events of the organization with ids above `after`, oldest first, but
    none of the `hidden` collections."""
    e = events.c
    query = sa.select(
        e.id, e.version_id, e.type, e.collection, e.sourced_id, e.data, e.previous, e.occurred_at
    ).where(e.org_id == org_id, e.id > after)
    if types:
        query = query.where(e.type.in_(list(types)))
    if hidden:
        query = query.where(sa.or_(e.collection.is_(None), e.collection.not_in(list(hidden))))
    rows = conn.execute(query.order_by(e.id).limit(limit)).all()
    return [EventRow(*r) for r in rows]


def version_range(conn: sa.Connection, org_id: int, version_id: int) -> tuple[int, int] | None:
    """(first, last) event id of a version's events, None when it has none."""
    e = events.c
    row = conn.execute(
        sa.select(sa.func.min(e.id), sa.func.max(e.id)).where(
            e.org_id == org_id, e.version_id == version_id
        )
    ).one()
    return None if row[0] is None else (int(row[0]), int(row[1]))


def types_of(conn: sa.Connection, org_id: int, version_id: int) -> set[str]:
    e = events.c
    rows = conn.execute(
        sa.select(e.type).where(e.org_id == org_id, e.version_id == version_id).distinct()
    )
    return {str(t) for t in rows.scalars()}


def purge(conn: sa.Connection, *, before: datetime) -> int:
    """Delete the events written before `before`, remembering per organization the newest
    id deleted (cursors at or below it may have missed events: 410); deleted."""
    e = events.c
    doomed = conn.execute(
        sa.select(e.org_id, sa.func.max(e.id)).where(e.created_at < before).group_by(e.org_id)
    ).all()
    for org_id, newest in doomed:
        done = conn.execute(
            sa.update(event_horizons)
            .where(event_horizons.c.org_id == org_id)
            .values(purged_through=sa.func.max(event_horizons.c.purged_through, newest))
            if conn.dialect.name == "sqlite"
            else sa.update(event_horizons)
            .where(event_horizons.c.org_id == org_id)
            .values(purged_through=sa.func.greatest(event_horizons.c.purged_through, newest))
        )
        if done.rowcount == 0:
            conn.execute(sa.insert(event_horizons).values(org_id=org_id, purged_through=newest))
    return int(conn.execute(sa.delete(events).where(e.created_at < before)).rowcount)
