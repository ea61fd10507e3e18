"""The accounts directory: every query on `directory_accounts` and `directory_heads`.

Bulk paths as the roster store: PostgreSQL `COPY … FROM STDIN` for new accounts, SQLite the
driver's `executemany`; changed accounts are rewritten with one `executemany` (a 1% change
of a large district is ~10,000 rows). Every function runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from rosterport.domain.directory import FIELDS
from rosterport.store.bulk import copy_lines, copy_text, driver_connection, driver_errors
from rosterport.store.tables import directory_accounts as accounts
from rosterport.store.tables import directory_heads, vault_credentials, versions

BATCH = 50_000
IN_CHUNK = 10_000  # ids per IN (…) list
_INSERT_COLUMNS = [
    "org_id",
    "sourced_id",
    *FIELDS,
    "state",
    "digest",
    "created_at",
    "changed_at",
]


def head(conn: sa.Connection, org_id: int) -> int | None:
    """The version of the roster source the organization's directory holds."""
    return conn.execute(
        sa.select(directory_heads.c.version_id).where(directory_heads.c.org_id == org_id)
    ).scalar_one_or_none()


def set_head(conn: sa.Connection, org_id: int, version_id: int, now: datetime) -> None:
    done = conn.execute(
        sa.update(directory_heads)
        .where(directory_heads.c.org_id == org_id)
        .values(version_id=version_id, updated_at=now)
    )
    if done.rowcount == 0:
        conn.execute(
            sa.insert(directory_heads).values(org_id=org_id, version_id=version_id, updated_at=now)
        )


def existing(conn: sa.Connection, org_id: int) -> pl.DataFrame:
    """Every account of the organization: id, sourced_id, digest, state, absent_since."""
    query = sa.select(
        accounts.c.id,
        accounts.c.sourced_id,
        accounts.c.digest,
        accounts.c.state,
        accounts.c.absent_since,
    ).where(accounts.c.org_id == org_id)
    schema: dict[str, pl.DataType] = {
        "id": pl.Int64(),
        "sourced_id": pl.String(),
        "digest": pl.String(),
        "state": pl.String(),
        "absent_since": pl.Datetime("us", "UTC"),
    }
    if conn.dialect.name == "postgresql":  # COPY out and a CSV parse: far fewer objects
        return _copy_out(conn, query, schema)
    # SQLite: the driver's rows as they are (SQLAlchemy's Row objects cost ~1 µs each)
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    cursor = driver_connection(conn).cursor()
    try:
        rows = cursor.execute(str(compiled)).fetchall()
    finally:
        cursor.close()
    text = {**schema, "absent_since": pl.String()}
    frame = pl.DataFrame(rows, schema=text, orient="row")
    return frame.with_columns(
        pl.col("absent_since")
        .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC")
        .dt.cast_time_unit("us")
    )


def _copy_out(
    conn: sa.Connection, query: sa.Select[Any], schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """PostgreSQL: the rows of `query` by `COPY (…) TO STDOUT` as CSV, parsed by polars."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    statement = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)"
    buffer = bytearray()
    with (
        driver_errors(conn, statement),
        driver_connection(conn).cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        for block in copy:
            buffer += block
    if not buffer:
        return pl.DataFrame(schema=schema)
    text = {name: pl.String() for name in schema}
    frame = pl.read_csv(bytes(buffer), has_header=False, new_columns=list(schema), schema=text)
    return frame.select(
        pl.col(name).str.to_datetime(time_zone="UTC").dt.cast_time_unit("us")
        if dtype == pl.Datetime("us", "UTC")
        else pl.col(name).cast(dtype)
        for name, dtype in schema.items()
    )


def insert_accounts(conn: sa.Connection, org_id: int, frame: pl.DataFrame, now: datetime) -> None:
    """New active accounts (columns sourced_id, FIELDS, digest)."""
    if not frame.height:
        return
    rows = frame.select(
        pl.lit(org_id, pl.Int64).alias("org_id"),
        "sourced_id",
        *FIELDS,
        pl.lit("active").alias("state"),
        "digest",
    )
    if conn.dialect.name == "postgresql":
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f+00")
        cells = [copy_text(pl.col(c).cast(pl.String)).fill_null("\\N") for c in rows.columns]
        cells += [pl.lit(stamp), pl.lit(stamp)]
        lines = rows.select(pl.concat_str(cells, separator="\t").add("\n").alias("l"))
        copy_lines(conn, accounts.name, ", ".join(_INSERT_COLUMNS), lines.get_column("l"))
        return
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # UTCDateTime's text on SQLite
    marks = ", ".join("?" for _ in _INSERT_COLUMNS)
    statement = f"INSERT INTO {accounts.name} ({', '.join(_INSERT_COLUMNS)}) VALUES ({marks})"
    rows = rows.with_columns(pl.lit(stamp).alias("created_at"), pl.lit(stamp).alias("changed_at"))
    cursor = driver_connection(conn).cursor()
    try:
        with driver_errors(conn, statement):
            for start in range(0, rows.height, BATCH):
                cursor.executemany(statement, rows.slice(start, BATCH).rows())
    finally:
        cursor.close()


def update_accounts(conn: sa.Connection, frame: pl.DataFrame, now: datetime) -> None:
    """Rewrite accounts (columns id, FIELDS, digest) and make them active."""
    if not frame.height:
        return
    if conn.dialect.name == "postgresql":
        _update_by_copy(conn, frame, now)
        return
    statement = (
        sa.update(accounts)
        .where(accounts.c.id == sa.bindparam("_id"))
        .values(
            {
                **{f: sa.bindparam(f"_{f}") for f in (*FIELDS, "digest")},
                "state": "active",
                "absent_since": None,
                "changed_at": now,
            }
        )
    )
    for start in range(0, frame.height, BATCH):
        chunk = frame.slice(start, BATCH).select("id", *FIELDS, "digest")
        conn.execute(statement, [{f"_{k}": v for k, v in r.items()} for r in chunk.to_dicts()])


def _update_by_copy(conn: sa.Connection, frame: pl.DataFrame, now: datetime) -> None:
    """PostgreSQL: the rows COPYed into a temporary table, then one UPDATE … FROM it."""
    columns = ["id", *FIELDS, "digest"]
    conn.execute(
        sa.text(
            "CREATE TEMPORARY TABLE directory_changes ON COMMIT DROP AS "
            f"SELECT {', '.join(columns)} FROM {accounts.name} WITH NO DATA"
        )
    )
    cells = [copy_text(pl.col(c).cast(pl.String)).fill_null("\\N") for c in columns]
    lines = frame.select(pl.concat_str(cells, separator="\t").add("\n").alias("l"))
    copy_lines(conn, "directory_changes", ", ".join(columns), lines.get_column("l"))
    conn.execute(sa.text("ANALYZE directory_changes"))  # else a scan of every account
    assignments = ", ".join(f"{c} = c.{c}" for c in (*FIELDS, "digest"))
    conn.execute(
        sa.text(
            f"UPDATE {accounts.name} AS a SET {assignments}, state = 'active', "
            "absent_since = NULL, changed_at = :now FROM directory_changes AS c WHERE a.id = c.id"
        ),
        {"now": now},
    )
    conn.execute(sa.text("DROP TABLE directory_changes"))


def set_state(
    conn: sa.Connection, ids: Sequence[int], state: str, now: datetime, *, absent: bool
) -> None:
    """Move accounts to `state` (`absent`: they went missing now)."""
    values: dict[str, Any] = {"state": state, "changed_at": now}
    if absent:
        values["absent_since"] = now
    for start in range(0, len(ids), IN_CHUNK):
        chunk = list(ids[start : start + IN_CHUNK])
        conn.execute(sa.update(accounts).where(accounts.c.id.in_(chunk)).values(values))


def forget_credentials(conn: sa.Connection, ids: Sequence[int]) -> None:
    """Deleted accounts keep no credentials and no password hash."""
    for start in range(0, len(ids), IN_CHUNK):
        chunk = list(ids[start : start + IN_CHUNK])
        conn.execute(sa.delete(vault_credentials).where(vault_credentials.c.account_id.in_(chunk)))
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.id.in_(chunk))
            .values(password_hash=None, password_from=None)
        )


def mark_passwords(
    conn: sa.Connection, org_id: int, sourced_ids: Sequence[str], version_id: int | None
) -> None:
    """The initial password of these accounts changed: the old hash goes; `version_id` (the
    version whose snapshot holds the new one, to be hashed) or None (no password now)."""
    for start in range(0, len(sourced_ids), IN_CHUNK):
        chunk = list(sourced_ids[start : start + IN_CHUNK])
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


def analyze(conn: sa.Connection) -> None:
    """Fresh planner statistics after a large load (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"ANALYZE {accounts.name}"))


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
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


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(s: Selection) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [accounts.c.org_id == s.org_id]
    if s.state:
        where.append(accounts.c.state == s.state)
    if s.role:
        where.append(accounts.c.role == s.role)
    if s.school:
        member = f"%|{_escape(s.school)}|%"
        where.append(
            sa.or_(
                accounts.c.schools.like(member, escape="\\"),
                accounts.c.school_ids.like(member, escape="\\"),
            )
        )
    if s.text:
        part = f"%{_escape(s.text.lower())}%"
        where.append(
            sa.or_(
                *(
                    sa.func.lower(c).like(part, escape="\\")
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
                ).like(part, escape="\\"),
            )
        )
    return where


def count(conn: sa.Connection, s: Selection) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(accounts).where(*_where(s))
        ).scalar_one()
    )


def page(conn: sa.Connection, s: Selection, *, offset: int, limit: int) -> list[Account]:
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
    for start in range(0, len(ids), IN_CHUNK):
        rows = conn.execute(
            sa.select(
                accounts.c.id, accounts.c.sourced_id, accounts.c.given_name, accounts.c.family_name
            ).where(accounts.c.id.in_(list(ids[start : start + IN_CHUNK])))
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


def expired(conn: sa.Connection, *, before: datetime) -> list[int]:
    """Suspended accounts (of every organization) absent since before `before`."""
    return list(
        conn.execute(
            sa.select(accounts.c.id).where(
                accounts.c.state == "suspended", accounts.c.absent_since <= before
            )
        ).scalars()
    )


def orgs_of(conn: sa.Connection, ids: Sequence[int]) -> list[int]:
    """The organizations of these accounts."""
    found: set[int] = set()
    for start in range(0, len(ids), IN_CHUNK):
        chunk = list(ids[start : start + IN_CHUNK])
        found.update(
            conn.execute(
                sa.select(accounts.c.org_id).where(accounts.c.id.in_(chunk)).distinct()
            ).scalars()
        )
    return sorted(found)


def drop_pending(conn: sa.Connection, ids: Sequence[int]) -> None:
    """Accounts whose pending password is no longer in its snapshot: nothing to hash."""
    for start in range(0, len(ids), IN_CHUNK):
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.id.in_(list(ids[start : start + IN_CHUNK])))
            .values(password_from=None)
        )


def version_model(conn: sa.Connection, version_id: int) -> str:
    return str(
        conn.execute(sa.select(versions.c.model).where(versions.c.id == version_id)).scalar_one()
    )


def password_hash(conn: sa.Connection, org_id: int, key: str) -> str | None:
    found = one(conn, org_id, key)
    if found is None:
        return None
    value = conn.execute(
        sa.select(accounts.c.password_hash).where(accounts.c.id == found.id)
    ).scalar_one_or_none()
    return None if value is None else str(value)
