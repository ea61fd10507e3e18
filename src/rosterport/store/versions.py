"""Queries of the versions table that services share (the history's pages)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import versions


def newest_first(
    conn: sa.Connection, org_id: int, *, model: str | None, limit: int | None, offset: int
) -> list[sa.Row[Any]]:
    """The organization's versions (of `model`, when given), newest first, a page of them."""
    query = sa.select(versions).where(versions.c.org_id == org_id)
    if model is not None:
        query = query.where(versions.c.model == model)
    query = query.order_by(versions.c.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query).all())
