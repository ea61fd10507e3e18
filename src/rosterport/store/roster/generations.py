"""The roster store's generations: whether one holds objects, one cleared before a load is
written into it, and every other than the visible one dropped (in short transactions)."""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.roster.rows import BATCH
from rosterport.store.tables import roster_links, roster_objects


def has_objects(conn: sa.Connection, *, dataset_id: int, generation: int) -> bool:
    """Whether the generation of the dataset holds any object."""
    o = roster_objects.c
    found = conn.execute(
        sa.select(o.id).where(o.dataset_id == dataset_id, o.generation == generation).limit(1)
    ).first()
    return found is not None


def clear_generation(conn: sa.Connection, *, dataset_id: int, generation: int) -> None:
    """Delete every object and link of one generation of the dataset."""
    for table in (roster_objects, roster_links):
        conn.execute(
            sa.delete(table).where(
                table.c.dataset_id == dataset_id, table.c.generation == generation
            )
        )


def drop_other_generations(
    conn: sa.Connection, *, dataset_id: int, keep: int, limit: int = BATCH
) -> int:
    """Delete up to `limit` objects and links of the dataset not of generation `keep`;
    rows deleted (0: none left). Callers loop, one short transaction per call."""
    total = 0
    for table in (roster_objects, roster_links):
        doomed = (
            sa.select(table.c.id)
            .where(table.c.dataset_id == dataset_id, table.c.generation != keep)
            .limit(limit)
            .scalar_subquery()
        )
        total += int(conn.execute(sa.delete(table).where(table.c.id.in_(doomed))).rowcount)
    return total
