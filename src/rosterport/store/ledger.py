"""The delivery ledger (`deliveries`): one row per version and consumer — the internal
consumers (`read-model`, `roster-store`) and each webhook endpoint (`webhook:<id>`) — with its
state, attempts, last error and HTTP status, and next try. Every query on it for the consumers
of the ledger (services/propagation.py, the webhooks and the SFTP exports write through
`record`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import deliveries

MAX_ERROR = 2000


@dataclass(frozen=True, slots=True)
class LedgerRow:
    version_id: int
    consumer: str
    state: str
    attempts: int
    last_error: str | None
    last_status_code: int | None
    next_try_at: datetime | None
    endpoint_id: int | None
    updated_at: datetime


def record(
    conn: sa.Connection,
    version_id: int,
    consumer: str,
    *,
    state: str,
    now: datetime,
    attempted: bool = True,
    error: str | None = None,
    status_code: int | None = None,
    next_try_at: datetime | None = None,
    endpoint_id: int | None = None,
    payload: str | None = None,
) -> None:
    """Create or update a consumer's row of a version (`attempted`: count one attempt)."""
    values: dict[str, Any] = {
        "state": state,
        "last_error": None if error is None else error[:MAX_ERROR],
        "last_status_code": status_code,
        "next_try_at": next_try_at,
        "updated_at": now,
    }
    if payload is not None:
        values["payload"] = payload  # a SCIM push's counts: the latest attempt's
    d = deliveries.c
    done = conn.execute(
        sa.update(deliveries)
        .where(d.version_id == version_id, d.consumer == consumer)
        .values(**values, attempts=d.attempts + (1 if attempted else 0))
    )
    if done.rowcount == 0:
        conn.execute(
            sa.insert(deliveries).values(
                version_id=version_id,
                consumer=consumer,
                attempts=1 if attempted else 0,
                endpoint_id=endpoint_id,
                **values,
            )
        )


def _listed() -> sa.Select[Any]:
    d = deliveries.c
    return sa.select(
        d.version_id,
        d.consumer,
        d.state,
        d.attempts,
        d.last_error,
        d.last_status_code,
        d.next_try_at,
        d.endpoint_id,
        d.updated_at,
    )


def rows_of(conn: sa.Connection, version_id: int) -> list[LedgerRow]:
    d = deliveries.c
    rows = conn.execute(
        _listed().where(d.version_id == version_id).order_by(d.endpoint_id.is_not(None), d.consumer)
    ).all()
    return [LedgerRow(*r) for r in rows]


def of_endpoints(conn: sa.Connection, endpoint_ids: list[int], *, limit: int) -> list[LedgerRow]:
    """The newest rows of these endpoints (newest version first)."""
    if not endpoint_ids:
        return []
    d = deliveries.c
    rows = conn.execute(
        _listed()
        .where(d.endpoint_id.in_(endpoint_ids))
        .order_by(d.version_id.desc(), d.endpoint_id)
        .limit(limit)
    ).all()
    return [LedgerRow(*r) for r in rows]


def one(conn: sa.Connection, version_id: int, consumer: str) -> LedgerRow | None:
    return next((r for r in rows_of(conn, version_id) if r.consumer == consumer), None)


def payload_of(conn: sa.Connection, version_id: int, consumer: str) -> str | None:
    """The body a webhook delivery of this version sends (the same on every attempt)."""
    d = deliveries.c
    found = conn.execute(
        sa.select(d.payload).where(d.version_id == version_id, d.consumer == consumer)
    ).scalar()
    return None if found is None else str(found)


def of_version(conn: sa.Connection, version_id: int) -> dict[str, str]:
    """consumer → state of the version's deliveries."""
    rows = conn.execute(
        sa.select(deliveries.c.consumer, deliveries.c.state).where(
            deliveries.c.version_id == version_id
        )
    ).all()
    return {r.consumer: r.state for r in rows}
