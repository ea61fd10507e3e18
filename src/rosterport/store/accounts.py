"""The admin UI's accounts (`accounts`), their sign-in sessions (`login_sessions`) and API
tokens (`api_tokens`), and the web sign-in's lock (failures are store/login_attempts.py's).
Sessions and tokens are looked up by the SHA-256 of the secret, never by the secret itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import accounts, api_tokens, login_sessions


def email_taken(conn: sa.Connection, email: str) -> bool:
    """Whether an account has this (lower-case) e-mail address."""
    return (
        conn.execute(sa.select(accounts.c.id).where(accounts.c.email == email)).first() is not None
    )


def insert(
    conn: sa.Connection,
    email: str,
    password_hash: str,
    *,
    is_platform: bool,
    org_id: int | None,
    now: datetime,
) -> int:
    """A new account's row; its id."""
    return int(
        conn.execute(
            sa.insert(accounts)
            .values(
                email=email,
                password_hash=password_hash,
                is_platform=is_platform,
                org_id=org_id,
                created_at=now,
            )
            .returning(accounts.c.id)
        ).scalar_one()
    )


def all_by_email(conn: sa.Connection, *, org_id: int | None = None) -> list[sa.Row[Any]]:
    """Every account, or those of organization `org_id`, ordered by e-mail address."""
    query = sa.select(accounts).order_by(accounts.c.email)
    if org_id is not None:
        query = query.where(accounts.c.org_id == org_id)
    return list(conn.execute(query).all())


def any_account(conn: sa.Connection) -> bool:
    """Whether there is at least one account."""
    return conn.execute(sa.select(accounts.c.id).limit(1)).first() is not None


def by_email(conn: sa.Connection, email: str) -> sa.Row[Any] | None:
    """The account with this (lower-case) e-mail address, or None."""
    return conn.execute(sa.select(accounts).where(accounts.c.email == email)).first()


def emails_of_org(conn: sa.Connection, org_id: int) -> list[str]:
    """The e-mail addresses of organization `org_id`'s accounts, in order."""
    return list(
        conn.execute(
            sa.select(accounts.c.email)
            .where(accounts.c.org_id == org_id)
            .order_by(accounts.c.email)
        ).scalars()
    )


def lock_sign_ins(conn: sa.Connection, key: int) -> None:
    """On PostgreSQL, hold advisory lock `key` until the transaction ends (on SQLite the
    transaction's BEGIN IMMEDIATE is the lock; nothing to do)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def add_session(
    conn: sa.Connection,
    token_hash: str,
    account_id: int,
    *,
    csrf: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """A new sign-in session of the account."""
    conn.execute(
        sa.insert(login_sessions).values(
            token_hash=token_hash,
            account_id=account_id,
            csrf=csrf,
            created_at=now,
            expires_at=expires_at,
        )
    )


def drop_expired_sessions(conn: sa.Connection, *, now: datetime) -> None:
    """Delete the sessions that expired before `now`."""
    conn.execute(sa.delete(login_sessions).where(login_sessions.c.expires_at < now))


def session_account(conn: sa.Connection, token_hash: str, *, now: datetime) -> sa.Row[Any] | None:
    """The account (with the session's `csrf`) of a session unexpired at `now`, or None."""
    return conn.execute(
        sa.select(accounts, login_sessions.c.csrf)
        .join(login_sessions, login_sessions.c.account_id == accounts.c.id)
        .where(login_sessions.c.token_hash == token_hash, login_sessions.c.expires_at > now)
    ).first()


def drop_session(conn: sa.Connection, token_hash: str) -> None:
    """Delete the session with this token hash (if any)."""
    conn.execute(sa.delete(login_sessions).where(login_sessions.c.token_hash == token_hash))


def add_token(
    conn: sa.Connection,
    org_id: int,
    account_id: int,
    *,
    name: str,
    token_hash: str,
    prefix: str,
    now: datetime,
) -> None:
    """A new API token of the organization, made by the account."""
    conn.execute(
        sa.insert(api_tokens).values(
            org_id=org_id,
            account_id=account_id,
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            created_at=now,
        )
    )


def active_tokens(conn: sa.Connection, org_id: int) -> list[sa.Row[Any]]:
    """The organization's unrevoked tokens with their maker's `email`, newest first."""
    return list(
        conn.execute(
            sa.select(api_tokens, accounts.c.email)
            .join(accounts, accounts.c.id == api_tokens.c.account_id)
            .where(api_tokens.c.org_id == org_id, api_tokens.c.revoked_at.is_(None))
            .order_by(api_tokens.c.id.desc())
        ).all()
    )


def revoke_token(conn: sa.Connection, org_id: int, token_id: int, *, now: datetime) -> bool:
    """Revoke the organization's active token `token_id`; False when there is none."""
    return bool(
        conn.execute(
            sa.update(api_tokens)
            .where(
                api_tokens.c.id == token_id,
                api_tokens.c.org_id == org_id,
                api_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        ).rowcount
    )


def token_account(conn: sa.Connection, token_hash: str) -> sa.Row[Any] | None:
    """The account of an unrevoked token, with `token_id`, `token_name`, `token_org` and
    `token_used` (its last use), or None."""
    return conn.execute(
        sa.select(
            accounts,
            api_tokens.c.id.label("token_id"),
            api_tokens.c.name.label("token_name"),
            api_tokens.c.org_id.label("token_org"),
            api_tokens.c.last_used_at.label("token_used"),
        )
        .join(api_tokens, api_tokens.c.account_id == accounts.c.id)
        .where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
    ).first()


def set_token_used(conn: sa.Connection, token_id: int, *, now: datetime) -> None:
    """Note that token `token_id` was last used at `now`."""
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))
