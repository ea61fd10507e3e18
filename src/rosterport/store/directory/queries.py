"""The accounts directory read for the admin pages, the API and the CLI: a listing's selection
(state, role, school, a text search) counted and paged, one account by id or sourcedId, names
by id, and the SSO look-up table of an organization's live accounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from rosterport.store.bulk import chunks
from rosterport.store.like import ESCAPE, escape_like
from rosterport.store.tables import directory_accounts as accounts


@dataclass(frozen=True, slots=True)
class Account:
    """One account as a listing or a detail page shows it."""

    id: int
    sourced_id: str
    sis_id: str
    role: str | None
    given_name: str | None
    middle_name: str | None
    family_name: str | None
    email: str | None
    username: str | None
    schools: str
    school_ids: str
    grades: str
    state: str
    has_password: bool
    created_at: datetime
    changed_at: datetime
    absent_since: datetime | None


@dataclass(frozen=True, slots=True)
class Selection:
    """Which accounts a listing shows."""

    org_id: int
    state: str | None = None
    role: str | None = None
    school: str | None = None  # a school sourcedId or SIS id
    text: str | None = None  # part of a name, an id or an e-mail address


_COLUMNS = (
    accounts.c.id,
    accounts.c.sourced_id,
    accounts.c.sis_id,
    accounts.c.role,
    accounts.c.given_name,
    accounts.c.middle_name,
    accounts.c.family_name,
    accounts.c.email,
    accounts.c.username,
    accounts.c.schools,
    accounts.c.school_ids,
    accounts.c.grades,
    accounts.c.state,
    accounts.c.password_hash.is_not(None).label("has_password"),
    accounts.c.created_at,
    accounts.c.changed_at,
    accounts.c.absent_since,
)


def _where(s: Selection) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [accounts.c.org_id == s.org_id]
    if s.state:
        where.append(accounts.c.state == s.state)
    if s.role:
        where.append(accounts.c.role == s.role)
    if s.school:
        member = f"%|{escape_like(s.school)}|%"
        where.append(
            sa.or_(
                accounts.c.schools.like(member, escape=ESCAPE),
                accounts.c.school_ids.like(member, escape=ESCAPE),
            )
        )
    if s.text:
        part = f"%{escape_like(s.text.lower())}%"
        where.append(
            sa.or_(
                *(
                    sa.func.lower(c).like(part, escape=ESCAPE)
                    for c in (
                        accounts.c.given_name,
                        accounts.c.family_name,
                        accounts.c.email,
                        accounts.c.username,
                        accounts.c.sourced_id,
                        accounts.c.sis_id,
                    )
                ),
                sa.func.lower(
                    sa.func.coalesce(accounts.c.given_name, "")
                    + " "
                    + sa.func.coalesce(accounts.c.family_name, "")
                ).like(part, escape=ESCAPE),
            )
        )
    return where


def count(conn: sa.Connection, s: Selection) -> int:
    """How many accounts the selection holds."""
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(accounts).where(*_where(s))
        ).scalar_one()
    )


def page(conn: sa.Connection, s: Selection, *, offset: int, limit: int) -> list[Account]:
    """A page of the selection, by account id."""
    rows = conn.execute(
        sa.select(*_COLUMNS)
        .where(*_where(s))
        .order_by(accounts.c.id)  # the key's order: a page of a large directory is cheap
        .offset(offset)
        .limit(limit)
    ).all()
    return [Account(**r._asdict()) for r in rows]


def one(conn: sa.Connection, org_id: int, key: str) -> Account | None:
    """An account by account id (digits) or sourcedId."""
    where = accounts.c.sourced_id == key
    if key.isdigit() and len(key) <= 9:  # an account id (fits the integer column)
        where = sa.or_(where, accounts.c.id == int(key))
    row = conn.execute(
        sa.select(*_COLUMNS)
        .where(accounts.c.org_id == org_id, where)
        .order_by((accounts.c.sourced_id == key).desc())
        .limit(1)
    ).first()
    return None if row is None else Account(**row._asdict())


def by_ids(conn: sa.Connection, ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    """Account id → (sourcedId, display name)."""
    out: dict[int, tuple[str, str | None]] = {}
    for chunk in chunks(ids):
        rows = conn.execute(
            sa.select(
                accounts.c.id, accounts.c.sourced_id, accounts.c.given_name, accounts.c.family_name
            ).where(accounts.c.id.in_(chunk))
        ).all()
        for r in rows:
            name = " ".join(p for p in (r.given_name, r.family_name) if p) or None
            out[r.id] = (r.sourced_id, name)
    return out


def lookup_frame(conn: sa.Connection, org_id: int) -> pl.DataFrame:
    """The SSO look-up table of the organization's live (not deleted) accounts: one row per
    account and school: account (id as text), user_id (SIS id and sourcedId), username,
    school_id (SIS id; null: none)."""
    rows = conn.execute(
        sa.select(
            accounts.c.id,
            accounts.c.sourced_id,
            accounts.c.sis_id,
            accounts.c.username,
            accounts.c.school_ids,
        ).where(accounts.c.org_id == org_id, accounts.c.state != "deleted")
    ).all()
    frame = pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "id": pl.Int64,
            "sourced_id": pl.String,
            "sis_id": pl.String,
            "username": pl.String,
            "school_ids": pl.String,
        },
        orient="row",
    )
    schools = frame.with_columns(
        pl.col("school_ids").str.strip_chars("|").str.split("|").alias("school_id")
    ).explode("school_id")
    schools = schools.with_columns(
        pl.when(pl.col("school_id") == "")
        .then(None)
        .otherwise(pl.col("school_id"))
        .alias("school_id")
    )
    by_sis = schools.select(
        pl.col("id").cast(pl.String).alias("account"),
        pl.col("sis_id").alias("user_id"),
        "username",
        "school_id",
    )
    by_sourced = schools.filter(pl.col("sourced_id") != pl.col("sis_id")).select(
        pl.col("id").cast(pl.String).alias("account"),
        pl.col("sourced_id").alias("user_id"),
        pl.lit(None, pl.String).alias("username"),
        "school_id",
    )
    return pl.concat([by_sis, by_sourced])
