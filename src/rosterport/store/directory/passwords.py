"""The directory's initial passwords: changed ones queued for hashing (by the version whose
encrypted snapshot holds them), the hashes stored as a job computes them, and the hash a
sign-in checks."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from rosterport.store.bulk import chunks
from rosterport.store.directory.queries import one
from rosterport.store.tables import directory_accounts as accounts
from rosterport.store.tables import versions


def mark_passwords(
    conn: sa.Connection, org_id: int, sourced_ids: Sequence[str], version_id: int | None
) -> None:
    """The initial password of these accounts changed: the old hash goes; `version_id` (the
    version whose snapshot holds the new one, to be hashed) or None (no password now)."""
    for chunk in chunks(sourced_ids):
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.org_id == org_id, accounts.c.sourced_id.in_(chunk))
            .values(password_hash=None, password_from=version_id)
        )


def pending_passwords(conn: sa.Connection, org_id: int, limit: int) -> list[tuple[int, str, int]]:
    """Up to `limit` accounts whose initial password awaits its hash: (id, sourced_id,
    version holding it)."""
    rows = conn.execute(
        sa.select(accounts.c.id, accounts.c.sourced_id, accounts.c.password_from)
        .where(
            accounts.c.org_id == org_id,
            accounts.c.password_from.is_not(None),
            accounts.c.password_hash.is_(None),
        )
        .order_by(accounts.c.id)
        .limit(limit)
    ).all()
    return [(r.id, r.sourced_id, r.password_from) for r in rows]


def set_password_hashes(conn: sa.Connection, hashes: Sequence[tuple[int, int, str]]) -> None:
    """Store hashes: (account id, version the password came from, hash); an account whose
    password changed again meanwhile (another version) is left for the next round."""
    if not hashes:
        return
    conn.execute(
        sa.update(accounts)
        .where(accounts.c.id == sa.bindparam("_id"), accounts.c.password_from == sa.bindparam("_v"))
        .values(password_hash=sa.bindparam("_h")),
        [{"_id": i, "_v": v, "_h": h} for i, v, h in hashes],
    )


def drop_pending(conn: sa.Connection, ids: Sequence[int]) -> None:
    """Accounts whose pending password is no longer in its snapshot: nothing to hash."""
    for chunk in chunks(ids):
        conn.execute(sa.update(accounts).where(accounts.c.id.in_(chunk)).values(password_from=None))


def version_model(conn: sa.Connection, version_id: int) -> str:
    """The data model of the version (whose snapshot holds the passwords)."""
    return str(
        conn.execute(sa.select(versions.c.model).where(versions.c.id == version_id)).scalar_one()
    )


def password_hash(conn: sa.Connection, org_id: int, key: str) -> str | None:
    """The initial password's hash of an account (by account id or sourcedId), if any."""
    found = one(conn, org_id, key)
    if found is None:
        return None
    value = conn.execute(
        sa.select(accounts.c.password_hash).where(accounts.c.id == found.id)
    ).scalar_one_or_none()
    return None if value is None else str(value)
