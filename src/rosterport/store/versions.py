"""Queries of the versions and datasets tables (the history, production pointers)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import datasets, versions


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


def status(conn: sa.Connection, version_id: int) -> str:
    """A version's status."""
    return str(
        conn.execute(sa.select(versions.c.status).where(versions.c.id == version_id)).scalar_one()
    )


def dataset_row(conn: sa.Connection, org_id: int, model: str) -> sa.Row[Any] | None:
    """The organization's dataset of `model`, if it has one."""
    return conn.execute(
        sa.select(datasets).where(datasets.c.org_id == org_id, datasets.c.model == model)
    ).first()


def create_dataset(conn: sa.Connection, org_id: int, model: str) -> sa.Row[Any]:
    """A new, empty dataset of `model` for the organization."""
    return conn.execute(
        sa.insert(datasets).values(org_id=org_id, model=model).returning(*datasets.c)
    ).one()


def current_version(conn: sa.Connection, org_id: int, model: str) -> int | None:
    """The production version of the organization's dataset of `model` (None: none yet)."""
    found = conn.execute(
        sa.select(datasets.c.current_version_id).where(
            datasets.c.org_id == org_id, datasets.c.model == model
        )
    ).scalar()
    return None if found is None else int(found)


def in_org(conn: sa.Connection, org_id: int, version_id: int) -> sa.Row[Any] | None:
    """A version of the organization, if it has one with that id."""
    return conn.execute(
        sa.select(versions).where(versions.c.id == version_id, versions.c.org_id == org_id)
    ).first()


def snapshot(conn: sa.Connection, version_id: int) -> str:
    """A version's snapshot prefix."""
    return str(
        conn.execute(sa.select(versions.c.snapshot).where(versions.c.id == version_id)).scalar_one()
    )


def with_snapshot(conn: sa.Connection, dataset_id: int, prefix: str) -> tuple[int, str] | None:
    """The version of the dataset whose snapshot is at `prefix` (id, status), if any."""
    row = conn.execute(
        sa.select(versions.c.id, versions.c.status).where(
            versions.c.dataset_id == dataset_id, versions.c.snapshot == prefix
        )
    ).first()
    return None if row is None else (int(row.id), str(row.status))


def set_status(
    conn: sa.Connection, version_id: int, new: str, *, expected: str | None = None
) -> bool:
    """Set a version's status (only if it is `expected`, when given); whether it moved."""
    query = sa.update(versions).where(versions.c.id == version_id)
    if expected is not None:
        query = query.where(versions.c.status == expected)
    return bool(conn.execute(query.values(status=new)).rowcount)


def move_pointer(conn: sa.Connection, dataset_id: int, base: int | None, version_id: int) -> bool:
    """Compare-and-set the dataset's current version from `base` to `version_id`; whether
    it moved (not: another version was committed meanwhile)."""
    current = datasets.c.current_version_id
    expected = current.is_(None) if base is None else current == base
    moved = conn.execute(
        sa.update(datasets)
        .where(datasets.c.id == dataset_id, expected)
        .values(current_version_id=version_id)
    )
    return bool(moved.rowcount == 1)


def insert(conn: sa.Connection, **values: Any) -> int:
    """A new version row; its id."""
    return int(
        conn.execute(sa.insert(versions).values(**values).returning(versions.c.id)).scalar_one()
    )
