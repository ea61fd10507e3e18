"""The SFTP deliveries of the integrations (`integration_runs`): one row per delivery, with
its content hash, status, version and result. (The delivery ledger of versions to their
consumers, the `deliveries` table, is in store/ledger.py.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import integration_runs


def last_hash(conn: sa.Connection, integration_id: int, *, skipping: str) -> str | None:
    """The content hash of the integration's newest delivery whose status is not
    `skipping`, or None."""
    found: str | None = conn.execute(
        sa.select(integration_runs.c.content_hash)
        .where(
            integration_runs.c.integration_id == integration_id,
            integration_runs.c.status != skipping,
        )
        .order_by(integration_runs.c.id.desc())
        .limit(1)
    ).scalar()
    return found


def insert(
    conn: sa.Connection,
    integration_id: int,
    *,
    content_hash: str,
    status: str,
    version_id: int | None,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    """A delivery's row."""
    conn.execute(
        sa.insert(integration_runs).values(
            integration_id=integration_id,
            content_hash=content_hash,
            status=status,
            version_id=version_id,
            detail=detail,
            created_at=now,
        )
    )
