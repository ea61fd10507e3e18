"""What propagation reads and writes of the `versions` and `datasets` tables: the version a
job is for, the dataset's current version, and the statuses of versions it brings to
production (one version's status: `store/versions.set_status`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import datasets, versions


def version(conn: sa.Connection, version_id: int) -> sa.Row[Any]:
    """The version with id `version_id` (NoResultFound when there is none)."""
    return conn.execute(sa.select(versions).where(versions.c.id == version_id)).one()


def current_version(conn: sa.Connection, dataset_id: int) -> tuple[int, sa.Row[Any, Any]]:
    """The id of the dataset's current version, and that version's org_id and model
    (NoResultFound when the dataset has no current version)."""
    current = conn.execute(
        sa.select(datasets.c.current_version_id).where(datasets.c.id == dataset_id)
    ).scalar_one()
    row = conn.execute(
        sa.select(versions.c.org_id, versions.c.model).where(versions.c.id == current)
    ).one()
    return int(current), row


def set_status_of(
    conn: sa.Connection, version_ids: Sequence[int], status: str, *, when_in: Sequence[str]
) -> None:
    """Give `status` to those of these versions whose status is one of `when_in`."""
    conn.execute(
        sa.update(versions)
        .where(versions.c.id.in_(list(version_ids)), versions.c.status.in_(list(when_in)))
        .values(status=status)
    )
