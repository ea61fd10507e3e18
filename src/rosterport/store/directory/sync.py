"""The accounts directory kept in step with the roster source: the version it holds, the
accounts as they are (to compare a new version with), new accounts written, changed ones
rewritten, states moved, deleted accounts' credentials forgotten, and the suspended accounts
whose grace has run out.

Bulk paths as the roster store (`store/bulk.py`): PostgreSQL `COPY … FROM STDIN` for new
accounts, SQLite the driver's `executemany`; changed accounts are rewritten with one
`executemany` (a 1% change of a large district is ~10,000 rows), on PostgreSQL by COPY into a
temporary table and one UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from rosterport.domain.directory import FIELDS
from rosterport.store.bulk import BATCH, chunks, driver_connection, driver_errors, insert_frame
from rosterport.store.tables import directory_accounts as accounts
from rosterport.store.tables import directory_heads, vault_credentials

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
    """The organization's directory now holds `version_id`."""
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
    stamp = pl.lit(now, pl.Datetime("us", "UTC"))
    rows = frame.select(
        pl.lit(org_id, pl.Int64).alias("org_id"),
        "sourced_id",
        *FIELDS,
        pl.lit("active").alias("state"),
        "digest",
        stamp.alias("created_at"),
        stamp.alias("changed_at"),
    )
    insert_frame(conn, accounts.name, _INSERT_COLUMNS, rows)


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
    insert_frame(conn, "directory_changes", columns, frame)
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
    for chunk in chunks(ids):
        conn.execute(sa.update(accounts).where(accounts.c.id.in_(chunk)).values(values))


def forget_credentials(conn: sa.Connection, ids: Sequence[int]) -> None:
    """Deleted accounts keep no credentials and no password hash."""
    for chunk in chunks(ids):
        conn.execute(sa.delete(vault_credentials).where(vault_credentials.c.account_id.in_(chunk)))
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.id.in_(chunk))
            .values(password_hash=None, password_from=None)
        )


def analyze(conn: sa.Connection) -> None:
    """Fresh planner statistics after a large load (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"ANALYZE {accounts.name}"))


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
    for chunk in chunks(ids):
        found.update(
            conn.execute(
                sa.select(accounts.c.org_id).where(accounts.c.id.in_(chunk)).distinct()
            ).scalars()
        )
    return sorted(found)
