"""Every query of SCIM provisioning: the SCIM applications and, per application, what each
account was last sent as (`scim_users`: sourcedId → SCIM id, fingerprint). Every function
runs in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from rosterport.store.tables import directory_accounts as accounts
from rosterport.store.tables import scim_apps, scim_users

ACCOUNT_COLUMNS = (
    "sourced_id",
    "role",
    "given_name",
    "middle_name",
    "family_name",
    "email",
    "username",
    "schools",
    "school_ids",
    "state",
    "digest",
)


def insert_app(conn: sa.Connection, **values: Any) -> int:
    return int(
        conn.execute(sa.insert(scim_apps).values(**values).returning(scim_apps.c.id)).scalar_one()
    )


def update_app(conn: sa.Connection, app_id: int, **values: Any) -> None:
    conn.execute(sa.update(scim_apps).where(scim_apps.c.id == app_id).values(**values))


def app_row(conn: sa.Connection, app_id: int) -> sa.Row[Any] | None:
    return conn.execute(sa.select(scim_apps).where(scim_apps.c.id == app_id)).first()


def app_rows(conn: sa.Connection, *, org_id: int) -> list[sa.Row[Any]]:
    query = sa.select(scim_apps).where(scim_apps.c.org_id == org_id).order_by(scim_apps.c.id)
    return list(conn.execute(query))


def delete_app(conn: sa.Connection, app_id: int) -> None:
    conn.execute(sa.delete(scim_users).where(scim_users.c.app_id == app_id))
    conn.execute(sa.delete(scim_apps).where(scim_apps.c.id == app_id))


def accounts_frame(conn: sa.Connection, org_id: int) -> pl.DataFrame:
    """The organization's accounts (every state), the columns a push reads."""
    query = sa.select(*(accounts.c[c] for c in ACCOUNT_COLUMNS)).where(accounts.c.org_id == org_id)
    rows = conn.execute(query).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema=dict.fromkeys(ACCOUNT_COLUMNS, pl.String),
        orient="row",
    )


def sent_frame(conn: sa.Connection, app_id: int) -> pl.DataFrame:
    """What the application was last sent: sourced_id, scim_id, fingerprint."""
    u = scim_users.c
    rows = conn.execute(
        sa.select(u.sourced_id, u.scim_id, u.fingerprint).where(u.app_id == app_id)
    ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"sourced_id": pl.String, "scim_id": pl.String, "fingerprint": pl.String},
        orient="row",
    )


def record_sent(conn: sa.Connection, app_id: int, sent: Sequence[tuple[str, str, str]]) -> None:
    """(sourced_id, scim_id, fingerprint) now on the application's side."""
    if not sent:
        return
    u = scim_users.c
    keys = [s[0] for s in sent]
    conn.execute(sa.delete(scim_users).where(u.app_id == app_id, u.sourced_id.in_(keys)))
    conn.execute(
        sa.insert(scim_users),
        [{"app_id": app_id, "sourced_id": k, "scim_id": i, "fingerprint": f} for k, i, f in sent],
    )


def forget_sent(conn: sa.Connection, app_id: int, sourced_ids: Sequence[str]) -> None:
    """Accounts no longer on the application's side."""
    if sourced_ids:
        u = scim_users.c
        conn.execute(
            sa.delete(scim_users).where(u.app_id == app_id, u.sourced_id.in_(list(sourced_ids)))
        )


def finished(conn: sa.Connection, app_id: int, version_id: int, now: datetime) -> None:
    update_app(conn, app_id, last_version_id=version_id, last_pushed_at=now)
