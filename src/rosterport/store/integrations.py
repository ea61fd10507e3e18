"""The SFTP integrations tables: `integrations` (hosted accounts and pulls, their settings
and sealed secrets) and `integration_files` (the files a pull last saw on its server)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.store.tables import integration_files, integrations


def login_taken(conn: sa.Connection, login: str) -> bool:
    """Whether an integration (of any kind, enabled or not) has the user name `login`."""
    return (
        conn.execute(sa.select(integrations.c.id).where(integrations.c.login == login)).first()
        is not None
    )


def insert(
    conn: sa.Connection,
    org_id: int,
    *,
    kind: str,
    name: str,
    model: str,
    settings: dict[str, Any],
    now: datetime,
    **columns: Any,
) -> int:
    """A new integration's row (`columns`: the kind's own, e.g. login or host); its id."""
    return int(
        conn.execute(
            sa.insert(integrations)
            .values(
                org_id=org_id,
                kind=kind,
                name=name,
                model=model,
                settings=settings,
                created_at=now,
                **columns,
            )
            .returning(integrations.c.id)
        ).scalar_one()
    )


def by_id(conn: sa.Connection, integration_id: int) -> sa.Row[Any] | None:
    """The integration with id `integration_id`, or None."""
    return conn.execute(sa.select(integrations).where(integrations.c.id == integration_id)).first()


def in_org(conn: sa.Connection, org_id: int, integration_id: int) -> sa.Row[Any] | None:
    """The integration `integration_id` if it belongs to organization `org_id`, or None."""
    return conn.execute(
        sa.select(integrations).where(
            integrations.c.id == integration_id, integrations.c.org_id == org_id
        )
    ).first()


def listed(
    conn: sa.Connection, *, org_id: int | None = None, kind: str | None = None
) -> list[sa.Row[Any]]:
    """The integrations (of `org_id`, of `kind`, when given), oldest first."""
    query = sa.select(integrations).order_by(integrations.c.id)
    if org_id is not None:
        query = query.where(integrations.c.org_id == org_id)
    if kind is not None:
        query = query.where(integrations.c.kind == kind)
    return list(conn.execute(query))


def enabled_by_login(conn: sa.Connection, login: str, *, kind: str) -> sa.Row[Any] | None:
    """The enabled integration of `kind` with the user name `login`, or None."""
    return conn.execute(
        sa.select(integrations).where(
            integrations.c.login == login,
            integrations.c.kind == kind,
            integrations.c.enabled.is_(True),
        )
    ).first()


def password_hash(conn: sa.Connection, login: str, *, kind: str) -> str | None:
    """The password hash of the enabled integration of `kind` called `login` (None: no such
    integration, or one without a password)."""
    found: str | None = conn.execute(
        sa.select(integrations.c.password_hash).where(
            integrations.c.login == login,
            integrations.c.kind == kind,
            integrations.c.enabled.is_(True),
        )
    ).scalar()
    return found


def secret(conn: sa.Connection, integration_id: int) -> bytes | None:
    """The integration's sealed credentials (None when it has none)."""
    found: bytes | None = conn.execute(
        sa.select(integrations.c.secret).where(integrations.c.id == integration_id)
    ).scalar_one()
    return found


def authorized_keys(conn: sa.Connection, integration_id: int) -> str | None:
    """The integration's authorized public keys (OpenSSH text), or None."""
    keys: str | None = conn.execute(
        sa.select(integrations.c.authorized_keys).where(integrations.c.id == integration_id)
    ).scalar_one()
    return keys


def take_pull(
    conn: sa.Connection, integration_id: int, *, last: datetime | None, now: datetime
) -> bool:
    """Stamp a pull as started now if its last start is still `last` (compare-and-set: of
    two schedulers that saw the same pull due, one takes it)."""
    last_pull = integrations.c.last_pull_at
    done = conn.execute(
        sa.update(integrations)
        .where(
            integrations.c.id == integration_id,
            last_pull.is_(None) if last is None else last_pull == last,
        )
        .values(last_pull_at=now)
    )
    return done.rowcount == 1


def update(conn: sa.Connection, integration_id: int, **values: Any) -> None:
    """Write these columns of the integration's row."""
    conn.execute(
        sa.update(integrations).where(integrations.c.id == integration_id).values(**values)
    )


def seen(conn: sa.Connection, integration_id: int) -> list[sa.Row[Any]]:
    """The files the integration knows of (name, size, mtime, sha256, seen_at)."""
    return list(
        conn.execute(
            sa.select(integration_files).where(integration_files.c.integration_id == integration_id)
        ).all()
    )


def forget_seen(conn: sa.Connection, integration_id: int, names: Sequence[str]) -> None:
    """Forget what the integration knew of the files called `names`."""
    conn.execute(
        sa.delete(integration_files).where(
            integration_files.c.integration_id == integration_id,
            integration_files.c.name.in_(list(names)),
        )
    )


def add_seen(
    conn: sa.Connection,
    integration_id: int,
    files: Sequence[tuple[str, int, int, str]],
    *,
    now: datetime,
) -> None:
    """Remember these files (name, size, mtime, sha256), seen at `now`."""
    conn.execute(
        sa.insert(integration_files),
        [
            {
                "integration_id": integration_id,
                "name": name,
                "size": size,
                "mtime": mtime,
                "sha256": sha256,
                "seen_at": now,
            }
            for name, size, mtime, sha256 in files
        ],
    )
