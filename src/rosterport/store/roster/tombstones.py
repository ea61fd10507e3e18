"""The roster store's tombstones (objects in status `tobedeleted`): those still within their
retention carried into a newly loaded generation, those past it purged."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from rosterport.store.roster.rows import LINK_COLUMNS, OBJECT_COLUMNS, TOBEDELETED, Place
from rosterport.store.tables import roster_links, roster_objects


def _same_key(a: sa.FromClause, b: sa.FromClause) -> list[sa.ColumnElement[bool]]:
    """Rows of `a` and `b` (objects or links) about the same object: collection and sourcedId."""
    return [a.c.collection == b.c.collection, a.c.sourced_id == b.c.sourced_id]


def copy_tombstones(
    conn: sa.Connection, dataset_id: int, *, source: int, target: int, since: datetime
) -> int:
    """Copy the tombstones of generation `source` changed at or after `since` into
    generation `target`, unless `target` already has an object of the same key; copied."""
    o = roster_objects
    newer = o.alias("newer")
    taken = (
        sa.select(newer.c.id)
        .where(newer.c.dataset_id == dataset_id, newer.c.generation == target, *_same_key(newer, o))
        .exists()
    )
    in_source = [o.c.dataset_id == dataset_id, o.c.generation == source]
    carried = [o.c.status == TOBEDELETED, o.c.date_last_modified >= since, ~taken]
    columns = [c for c in OBJECT_COLUMNS if c != "generation"]
    chosen = sa.select(
        *[o.c[c] for c in columns], sa.literal(target, sa.BigInteger).label("generation")
    ).where(*in_source, *carried)
    # links first (the test "not yet in target" reads the objects)
    l_ = roster_links
    linked = sa.select(o.c.id).where(*in_source, *_same_key(o, l_), *carried).exists()
    link_columns = [c for c in LINK_COLUMNS if c != "generation"]
    conn.execute(
        sa.insert(l_).from_select(
            [*link_columns, "generation"],
            sa.select(*[l_.c[c] for c in link_columns], sa.literal(target, sa.BigInteger)).where(
                l_.c.dataset_id == dataset_id, l_.c.generation == source, linked
            ),
        )
    )
    copied = conn.execute(sa.insert(o).from_select([*columns, "generation"], chosen))
    return int(copied.rowcount)


def purge_tombstones(conn: sa.Connection, place: Place, *, before: datetime) -> int:
    """Delete the tombstones changed before `before` (past their retention); deleted."""
    o = roster_objects
    doomed = sa.and_(
        o.c.dataset_id == place.dataset_id,
        o.c.generation == place.generation,
        o.c.status == TOBEDELETED,
        o.c.date_last_modified < before,
    )
    l_ = roster_links
    conn.execute(
        sa.delete(l_).where(
            l_.c.dataset_id == place.dataset_id,
            l_.c.generation == place.generation,
            sa.exists(sa.select(o.c.id).where(doomed, *_same_key(o, l_))),
        )
    )
    return int(conn.execute(sa.delete(o).where(doomed)).rowcount)
