"""The `sftp_drops` table: deliveries of hosted accounts handed over to blob storage.

A row is written with its `sftp-drop` job (same transaction) once the files are stored; the
worker that processes it marks it `processed` with the names of its result files; the server
holding the account folders it came from (`folder`) writes those into `results/` and marks it
delivered (compare-and-set, so two servers sharing the folders write them once)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import sftp_drops

RECEIVED, PROCESSED = "received", "processed"


def insert(
    conn: sa.Connection,
    drop_id: str,
    *,
    integration_id: int,
    folder: str,
    files: Sequence[str],
    now: datetime,
) -> None:
    conn.execute(
        sa.insert(sftp_drops).values(
            id=drop_id,
            integration_id=integration_id,
            folder=folder,
            files=list(files),
            state=RECEIVED,
            received_at=now,
        )
    )


def by_id(conn: sa.Connection, drop_id: str) -> sa.Row[Any] | None:
    return conn.execute(sa.select(sftp_drops).where(sftp_drops.c.id == drop_id)).first()


def known(conn: sa.Connection, drop_ids: Sequence[str]) -> set[str]:
    """Which of these drops have a row (their hand-over finished)."""
    if not drop_ids:
        return set()
    rows = conn.execute(sa.select(sftp_drops.c.id).where(sftp_drops.c.id.in_(list(drop_ids))))
    return {str(r.id) for r in rows}


def mark_processed(
    conn: sa.Connection, drop_id: str, results: Sequence[str], *, now: datetime
) -> bool:
    """Record the result files of a received drop; False when it was processed already."""
    done = conn.execute(
        sa.update(sftp_drops)
        .where(sftp_drops.c.id == drop_id, sftp_drops.c.state == RECEIVED)
        .values(state=PROCESSED, results=list(results), processed_at=now)
    )
    return done.rowcount == 1


def undelivered(conn: sa.Connection, folder: str) -> list[sa.Row[Any]]:
    """Processed drops from `folder` whose results are not in the account folder yet."""
    return list(
        conn.execute(
            sa.select(sftp_drops)
            .where(
                sftp_drops.c.folder == folder,
                sftp_drops.c.state == PROCESSED,
                sftp_drops.c.delivered_at.is_(None),
            )
            .order_by(sftp_drops.c.processed_at, sftp_drops.c.id)
        )
    )


def mark_delivered(conn: sa.Connection, drop_id: str, *, now: datetime) -> bool:
    """Take the delivery of a drop's results; False when another server took it."""
    done = conn.execute(
        sa.update(sftp_drops)
        .where(sftp_drops.c.id == drop_id, sftp_drops.c.delivered_at.is_(None))
        .values(delivered_at=now)
    )
    return done.rowcount == 1


def in_states(conn: sa.Connection, integration_id: int) -> dict[str, int]:
    """How many drops of an integration are in each state."""
    rows = conn.execute(
        sa.select(sftp_drops.c.state, sa.func.count())
        .where(sftp_drops.c.integration_id == integration_id)
        .group_by(sftp_drops.c.state)
    )
    return {str(state): int(count) for state, count in rows}
