"""OneRoster API applications (`api_apps`) and their OAuth 2.0 bearer tokens
(`api_app_tokens`): every query on them. Secrets and tokens are stored as sha256 digests of
high-entropy random values (256 bits), never as given."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from rosterport.store.tables import (
    api_app_nonces,
    api_app_tokens,
    api_app_usage,
    api_apps,
    organizations,
)


@dataclass(frozen=True, slots=True)
class AppRow:
    id: int
    org_id: int
    org_slug: str
    name: str
    client_id: str
    secret_hash: str
    scopes: tuple[str, ...]
    schools: tuple[str, ...] | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _row(r: sa.Row[tuple[object, ...]]) -> AppRow:
    m = r._mapping
    schools = m["schools"]
    return AppRow(
        id=int(m["id"]),
        org_id=int(m["org_id"]),
        org_slug=str(m["slug"]),
        name=str(m["name"]),
        client_id=str(m["client_id"]),
        secret_hash=str(m["secret_hash"]),
        scopes=tuple(str(m["scopes"]).split()),
        schools=None if schools is None else tuple(json.loads(str(schools))),
        created_at=m["created_at"],
        last_used_at=m["last_used_at"],
        revoked_at=m["revoked_at"],
    )


def _select() -> sa.Select[tuple[object, ...]]:
    return sa.select(
        api_apps.c.id,
        api_apps.c.org_id,
        organizations.c.slug,
        api_apps.c.name,
        api_apps.c.client_id,
        api_apps.c.secret_hash,
        api_apps.c.scopes,
        api_apps.c.schools,
        api_apps.c.created_at,
        api_apps.c.last_used_at,
        api_apps.c.revoked_at,
    ).join(organizations, organizations.c.id == api_apps.c.org_id)


def insert_app(
    conn: sa.Connection,
    *,
    org_id: int,
    name: str,
    client_id: str,
    secret_hash: str,
    secret_sealed: bytes,
    scopes: tuple[str, ...],
    schools: tuple[str, ...] | None,
    now: datetime,
) -> None:
    conn.execute(
        sa.insert(api_apps).values(
            org_id=org_id,
            name=name,
            client_id=client_id,
            secret_hash=secret_hash,
            secret_sealed=secret_sealed,
            scopes=" ".join(scopes),
            schools=None if schools is None else json.dumps(list(schools)),
            created_at=now,
        )
    )


def apps_of(conn: sa.Connection, org_id: int) -> list[AppRow]:
    rows = conn.execute(_select().where(api_apps.c.org_id == org_id).order_by(api_apps.c.id))
    return [_row(r) for r in rows]


def app_by_client_id(conn: sa.Connection, client_id: str) -> AppRow | None:
    row = conn.execute(_select().where(api_apps.c.client_id == client_id)).first()
    return None if row is None else _row(row)


def revoke_app(conn: sa.Connection, org_id: int, client_id: str, now: datetime) -> bool:
    done = conn.execute(
        sa.update(api_apps)
        .where(
            api_apps.c.org_id == org_id,
            api_apps.c.client_id == client_id,
            api_apps.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    app = conn.execute(
        sa.select(api_apps.c.id).where(
            api_apps.c.org_id == org_id, api_apps.c.client_id == client_id
        )
    ).scalar()
    if app is not None:
        conn.execute(sa.delete(api_app_tokens).where(api_app_tokens.c.app_id == app))
    return done.rowcount == 1


def insert_token(
    conn: sa.Connection,
    *,
    app_id: int,
    token_hash: str,
    scopes: tuple[str, ...],
    now: datetime,
    expires_at: datetime,
) -> None:
    conn.execute(sa.delete(api_app_tokens).where(api_app_tokens.c.expires_at < now))
    conn.execute(
        sa.insert(api_app_tokens).values(
            token_hash=token_hash,
            app_id=app_id,
            scopes=" ".join(scopes),
            created_at=now,
            expires_at=expires_at,
        )
    )
    conn.execute(sa.update(api_apps).where(api_apps.c.id == app_id).values(last_used_at=now))


def token_app(
    conn: sa.Connection, token_hash: str, now: datetime
) -> tuple[AppRow, tuple[str, ...]] | None:
    """The live application of a token and the token's scopes (None: unknown, expired or
    revoked)."""
    row = conn.execute(
        _select()
        .add_columns(api_app_tokens.c.scopes.label("granted"))
        .join(api_app_tokens, api_app_tokens.c.app_id == api_apps.c.id)
        .where(
            api_app_tokens.c.token_hash == token_hash,
            api_app_tokens.c.expires_at > now,
            api_apps.c.revoked_at.is_(None),
        )
    ).first()
    if row is None:
        return None
    return _row(row), tuple(str(row._mapping["granted"]).split())


def use_nonce(
    conn: sa.Connection,
    client_id: str,
    nonce: str,
    *,
    timestamp: int,
    now: datetime,
    keep_since: datetime,
) -> bool:
    """Record an OAuth 1.0a nonce; False when it was used before (a replay, also between
    two requests at once: the primary key decides). Nonces older than `keep_since` are
    forgotten (their timestamps are outside the window anyway)."""
    conn.execute(sa.delete(api_app_nonces).where(api_app_nonces.c.created_at < keep_since))
    try:
        with conn.begin_nested():
            conn.execute(
                sa.insert(api_app_nonces).values(
                    client_id=client_id, nonce=nonce, timestamp=timestamp, created_at=now
                )
            )
    except sa.exc.IntegrityError:
        return False
    return True


def sealed_secret(conn: sa.Connection, client_id: str) -> bytes | None:
    """The encrypted client secret of a live application (for OAuth 1.0a)."""
    sealed = conn.execute(
        sa.select(api_apps.c.secret_sealed).where(
            api_apps.c.client_id == client_id, api_apps.c.revoked_at.is_(None)
        )
    ).scalar()
    return None if sealed is None else bytes(sealed)


def touch_app(conn: sa.Connection, app_id: int, now: datetime) -> None:
    conn.execute(sa.update(api_apps).where(api_apps.c.id == app_id).values(last_used_at=now))


def count_request(conn: sa.Connection, app_id: int, minute: int) -> int:
    """Count one request of the application in `minute` (since the epoch); requests so far."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(api_app_usage).values(app_id=app_id, minute=minute, requests=1)
    counted = conn.execute(
        statement.on_conflict_do_update(
            index_elements=["app_id", "minute"],
            set_={"requests": api_app_usage.c.requests + 1},
        ).returning(api_app_usage.c.requests)
    ).scalar_one()
    conn.execute(
        sa.delete(api_app_usage).where(
            api_app_usage.c.app_id == app_id, api_app_usage.c.minute < minute
        )
    )
    return int(counted)
