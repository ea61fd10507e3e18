"""The dashboard's reads of the history tables: `datasets` (the production version of each
model), `versions` and `integration_runs`. Read-only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import datasets, integration_runs, versions


def current_version_ids(conn: sa.Connection, org_id: int) -> dict[str, int | None]:
    """The organization's datasets: model -> the id of its production version (or None)."""
    return {
        r.model: r.current_version_id
        for r in conn.execute(sa.select(datasets).where(datasets.c.org_id == org_id))
    }


def last_versions(conn: sa.Connection, org_id: int, model: str, *, limit: int) -> list[sa.Row[Any]]:
    """The organization's last `limit` versions of `model`, newest first."""
    return list(
        conn.execute(
            sa.select(versions)
            .where(versions.c.org_id == org_id, versions.c.model == model)
            .order_by(versions.c.id.desc())
            .limit(limit)
        ).all()
    )


def by_ids(conn: sa.Connection, ids: Sequence[int]) -> list[sa.Row[Any]]:
    """The versions with these ids (in no particular order)."""
    return list(conn.execute(sa.select(versions).where(versions.c.id.in_(list(ids)))).all())


def last_of_source(conn: sa.Connection, org_id: int, source: str) -> sa.Row[Any] | None:
    """The organization's last version that came in through `source`, or None."""
    return conn.execute(
        sa.select(versions)
        .where(versions.c.org_id == org_id, versions.c.source == source)
        .order_by(versions.c.id.desc())
        .limit(1)
    ).first()


def with_status(conn: sa.Connection, org_id: int, statuses: Sequence[str]) -> list[sa.Row[Any]]:
    """The organization's versions in one of `statuses`, newest first."""
    return list(
        conn.execute(
            sa.select(versions)
            .where(versions.c.org_id == org_id, versions.c.status.in_(list(statuses)))
            .order_by(versions.c.id.desc())
        ).all()
    )


def last_run(conn: sa.Connection, integration_id: int) -> sa.Row[Any] | None:
    """The integration's last run, or None."""
    return conn.execute(
        sa.select(integration_runs)
        .where(integration_runs.c.integration_id == integration_id)
        .order_by(integration_runs.c.id.desc())
        .limit(1)
    ).first()
