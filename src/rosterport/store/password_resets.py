"""Forgotten-password resets (`password_resets`) and the account changes a reset makes:
every query on them. Tokens and codes are stored as sha256 digests, never as given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from rosterport.store.tables import accounts, login_sessions, password_resets


@dataclass(frozen=True, slots=True)
class ResetRow:
    id: int
    account_id: int
    email: str
    code_hash: str
    expires_at: datetime


def account_id_of(conn: sa.Connection, email: str) -> int | None:
    """The id of the account of a (lower-case) e-mail address, if any."""
    found = conn.execute(sa.select(accounts.c.id).where(accounts.c.email == email)).scalar()
    return None if found is None else int(found)


def replace_reset(
    conn: sa.Connection,
    account_id: int,
    *,
    token_hash: str,
    code_hash: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """The account's only reset from now on: earlier ones stop working."""
    conn.execute(sa.delete(password_resets).where(password_resets.c.account_id == account_id))
    conn.execute(sa.delete(password_resets).where(password_resets.c.expires_at <= now))
    conn.execute(
        sa.insert(password_resets).values(
            account_id=account_id,
            token_hash=token_hash,
            code_hash=code_hash,
            created_at=now,
            expires_at=expires_at,
        )
    )


def _select() -> sa.Select[tuple[object, ...]]:
    return sa.select(
        password_resets.c.id,
        password_resets.c.account_id,
        accounts.c.email,
        password_resets.c.code_hash,
        password_resets.c.expires_at,
    ).join(accounts, accounts.c.id == password_resets.c.account_id)


def _row(r: sa.Row[tuple[object, ...]] | None) -> ResetRow | None:
    if r is None:
        return None
    m = r._mapping
    return ResetRow(
        int(m["id"]), int(m["account_id"]), str(m["email"]), str(m["code_hash"]), m["expires_at"]
    )


def reset_by_token(conn: sa.Connection, token_hash: str) -> ResetRow | None:
    return _row(conn.execute(_select().where(password_resets.c.token_hash == token_hash)).first())


def reset_of_account(conn: sa.Connection, account_id: int) -> ResetRow | None:
    return _row(conn.execute(_select().where(password_resets.c.account_id == account_id)).first())


def take_reset(conn: sa.Connection, reset_id: int) -> bool:
    """Use a reset up: True for the one caller that removed it (single use under races)."""
    return bool(
        conn.execute(sa.delete(password_resets).where(password_resets.c.id == reset_id)).rowcount
    )


def set_password(conn: sa.Connection, account_id: int, password_hash: str) -> None:
    """A new password: the account's sessions end and its other resets stop working."""
    conn.execute(
        sa.update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash)
    )
    conn.execute(sa.delete(login_sessions).where(login_sessions.c.account_id == account_id))
    conn.execute(sa.delete(password_resets).where(password_resets.c.account_id == account_id))
