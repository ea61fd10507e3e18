"""The password vault: applications, sealed credentials and the audit of reads (every query).

Credentials are stored only sealed (AES-256-GCM, services/vault.py); nothing here decrypts.
Every function runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from rosterport.store.bulk import chunks
from rosterport.store.tables import directory_accounts, vault_apps, vault_credentials, vault_reads


@dataclass(frozen=True, slots=True)
class VaultApp:
    id: int
    key: str  # app_credentials.csv Application_id
    name: str
    launch_url: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CredentialSet:
    """That an account has a credential for an application, and since when (no value)."""

    account_id: int
    app_key: str
    app_name: str
    set_at: datetime
    set_by: str


@dataclass(frozen=True, slots=True)
class Read:
    app_key: str
    account_id: int | None
    api_client_id: str
    address: str | None
    outcome: str
    read_at: datetime


def _app(row: sa.Row[tuple[object, ...]]) -> VaultApp:
    m = row._mapping
    return VaultApp(m["id"], m["app_key"], m["name"], m["launch_url"], m["created_at"])


def insert_app(
    conn: sa.Connection,
    org_id: int,
    key: str,
    name: str,
    *,
    launch_url: str | None,
    now: datetime,
) -> None:
    conn.execute(
        sa.insert(vault_apps).values(
            org_id=org_id, app_key=key, name=name, launch_url=launch_url, created_at=now
        )
    )


def apps_of(conn: sa.Connection, org_id: int) -> list[VaultApp]:
    rows = conn.execute(
        sa.select(vault_apps).where(vault_apps.c.org_id == org_id).order_by(vault_apps.c.app_key)
    ).all()
    return [_app(r) for r in rows]


def app_by_key(conn: sa.Connection, org_id: int, key: str) -> VaultApp | None:
    row = conn.execute(
        sa.select(vault_apps).where(vault_apps.c.org_id == org_id, vault_apps.c.app_key == key)
    ).first()
    return None if row is None else _app(row)


def delete_app(conn: sa.Connection, app_id: int) -> None:
    conn.execute(sa.delete(vault_credentials).where(vault_credentials.c.app_id == app_id))
    conn.execute(sa.delete(vault_apps).where(vault_apps.c.id == app_id))


def sealed_of_org(conn: sa.Connection, org_id: int) -> dict[tuple[int, int], tuple[bytes, str]]:
    """(account id, app id) → (sealed credential, set_by) of the organization."""
    rows = conn.execute(
        sa.select(
            vault_credentials.c.account_id,
            vault_credentials.c.app_id,
            vault_credentials.c.sealed,
            vault_credentials.c.set_by,
        )
        .join(vault_apps, vault_apps.c.id == vault_credentials.c.app_id)
        .where(vault_apps.c.org_id == org_id)
    ).all()
    return {(r.account_id, r.app_id): (bytes(r.sealed), r.set_by) for r in rows}


def put_credentials(
    conn: sa.Connection, rows: Sequence[tuple[int, int, bytes]], *, by: str, now: datetime
) -> None:
    """Set (or replace) credentials: (account id, app id, sealed)."""
    for chunk in chunks(rows):
        remove_credentials(conn, [(a, p) for a, p, _ in chunk])
        conn.execute(
            sa.insert(vault_credentials),
            [
                {"account_id": a, "app_id": p, "sealed": s, "set_at": now, "set_by": by}
                for a, p, s in chunk
            ],
        )


def remove_credentials(conn: sa.Connection, pairs: Sequence[tuple[int, int]]) -> int:
    """Remove credentials by (account id, app id); how many were there."""
    removed = 0
    for account_id, app_id in pairs:
        removed += conn.execute(
            sa.delete(vault_credentials).where(
                vault_credentials.c.account_id == account_id, vault_credentials.c.app_id == app_id
            )
        ).rowcount
    return removed


def sealed_credential(conn: sa.Connection, account_id: int, app_id: int) -> bytes | None:
    value = conn.execute(
        sa.select(vault_credentials.c.sealed).where(
            vault_credentials.c.account_id == account_id, vault_credentials.c.app_id == app_id
        )
    ).scalar_one_or_none()
    return None if value is None else bytes(value)


def credentials_set(conn: sa.Connection, account_ids: Sequence[int]) -> list[CredentialSet]:
    """Which applications have credentials for these accounts, and since when."""
    out: list[CredentialSet] = []
    for chunk in chunks(account_ids):
        rows = conn.execute(
            sa.select(
                vault_credentials.c.account_id,
                vault_apps.c.app_key,
                vault_apps.c.name,
                vault_credentials.c.set_at,
                vault_credentials.c.set_by,
            )
            .join(vault_apps, vault_apps.c.id == vault_credentials.c.app_id)
            .where(vault_credentials.c.account_id.in_(chunk))
            .order_by(vault_apps.c.app_key)
        ).all()
        out.extend(CredentialSet(*r) for r in rows)
    return out


def record_read(
    conn: sa.Connection,
    *,
    org_id: int,
    app_id: int,
    account_id: int | None,
    api_client_id: str,
    address: str | None,
    outcome: str,
    now: datetime,
) -> None:
    conn.execute(
        sa.insert(vault_reads).values(
            org_id=org_id,
            app_id=app_id,
            account_id=account_id,
            api_client_id=api_client_id,
            address=address,
            outcome=outcome,
            read_at=now,
        )
    )


def reads(
    conn: sa.Connection, org_id: int, *, account_id: int | None, offset: int, limit: int
) -> tuple[int, list[Read]]:
    """The audit of credential reads, newest first (one account's, or the organization's)."""
    where = [vault_reads.c.org_id == org_id]
    if account_id is not None:
        where.append(vault_reads.c.account_id == account_id)
    total = conn.execute(
        sa.select(sa.func.count()).select_from(vault_reads).where(*where)
    ).scalar_one()
    rows = conn.execute(
        sa.select(
            sa.func.coalesce(vault_apps.c.app_key, "?"),
            vault_reads.c.account_id,
            vault_reads.c.api_client_id,
            vault_reads.c.address,
            vault_reads.c.outcome,
            vault_reads.c.read_at,
        )
        .outerjoin(vault_apps, vault_apps.c.id == vault_reads.c.app_id)
        .where(*where)
        .order_by(vault_reads.c.read_at.desc(), vault_reads.c.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return int(total), [Read(*r) for r in rows]


def account_exists(conn: sa.Connection, org_id: int, account_id: int) -> bool:
    return (
        conn.execute(
            sa.select(directory_accounts.c.id).where(
                directory_accounts.c.org_id == org_id,
                directory_accounts.c.id == account_id,
                directory_accounts.c.state != "deleted",
            )
        ).first()
        is not None
    )
