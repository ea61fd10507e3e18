"""Webhook endpoints of API applications (`webhook_endpoints`): every query on them. Secrets
are stored encrypted with the instance key (signing needs them), never in clear."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import api_apps, webhook_endpoints


@dataclass(frozen=True, slots=True)
class EndpointRow:
    id: int
    app_id: int
    org_id: int
    client_id: str
    url: str
    types: tuple[str, ...] | None
    secret_sealed: bytes
    old_secret_sealed: bytes | None
    old_secret_until: datetime | None
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    removed_at: datetime | None


def _select() -> sa.Select[Any]:
    w = webhook_endpoints.c
    return sa.select(
        w.id,
        w.app_id,
        api_apps.c.org_id,
        api_apps.c.client_id,
        w.url,
        w.types,
        w.secret_sealed,
        w.old_secret_sealed,
        w.old_secret_until,
        w.created_at,
        w.disabled_at,
        w.disabled_reason,
        w.removed_at,
    ).join(api_apps, api_apps.c.id == w.app_id)


def _row(r: sa.Row[Any]) -> EndpointRow:
    values = list(r)
    values[5] = None if values[5] is None else tuple(json.loads(str(values[5])))
    return EndpointRow(*values)


def insert(
    conn: sa.Connection,
    *,
    app_id: int,
    url: str,
    types: tuple[str, ...] | None,
    secret_sealed: bytes,
    now: datetime,
) -> int:
    return int(
        conn.execute(
            sa.insert(webhook_endpoints)
            .values(
                app_id=app_id,
                url=url,
                types=None if types is None else json.dumps(list(types)),
                secret_sealed=secret_sealed,
                created_at=now,
            )
            .returning(webhook_endpoints.c.id)
        ).scalar_one()
    )


def by_id(conn: sa.Connection, endpoint_id: int) -> EndpointRow | None:
    row = conn.execute(_select().where(webhook_endpoints.c.id == endpoint_id)).first()
    return None if row is None else _row(row)


def of_app(conn: sa.Connection, app_id: int) -> list[EndpointRow]:
    w = webhook_endpoints.c
    rows = conn.execute(_select().where(w.app_id == app_id, w.removed_at.is_(None)).order_by(w.id))
    return [_row(r) for r in rows]


def live_of_org(conn: sa.Connection, org_id: int) -> list[EndpointRow]:
    """The endpoints that receive deliveries: not removed, not disabled, app not revoked."""
    w = webhook_endpoints.c
    rows = conn.execute(
        _select()
        .where(
            api_apps.c.org_id == org_id,
            api_apps.c.revoked_at.is_(None),
            w.removed_at.is_(None),
            w.disabled_at.is_(None),
        )
        .order_by(w.id)
    )
    return [_row(r) for r in rows]


def update(conn: sa.Connection, endpoint_id: int, **values: Any) -> None:
    conn.execute(
        sa.update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id).values(**values)
    )
