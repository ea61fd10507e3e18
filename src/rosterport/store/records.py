"""The read model's rows, written on the bulk paths of each database.

PostgreSQL: `COPY … FROM STDIN` (DESIGN.md: 8M rows in ~3.6 s where executemany takes ~76 s).
SQLite: `executemany` in batches inside the caller's single transaction. JSON arrives
pre-serialized (built columnar with polars).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

from rosterport.store.tables import records

_BATCH = 50_000


def replace_records(
    conn: sa.Connection,
    *,
    org_id: int,
    dataset_id: int,
    entity: str,
    version_id: int,
    keys: Sequence[str],
    rows_json: Sequence[str],
) -> int:
    """Replace every row of `entity` in the dataset by these records."""
    clear_records(conn, dataset_id=dataset_id, entity=entity)
    insert_records(
        conn,
        org_id=org_id,
        dataset_id=dataset_id,
        entity=entity,
        version_id=version_id,
        keys=keys,
        rows_json=rows_json,
    )
    return len(keys)


def clear_records(conn: sa.Connection, *, dataset_id: int, entity: str) -> None:
    """Delete every row of `entity` in the dataset."""
    conn.execute(
        sa.delete(records).where(records.c.dataset_id == dataset_id, records.c.entity == entity)
    )


def insert_records(
    conn: sa.Connection,
    *,
    org_id: int,
    dataset_id: int,
    entity: str,
    version_id: int,
    keys: Sequence[str],
    rows_json: Sequence[str],
) -> None:
    """Append records (callers feed large loads in chunks to bound memory)."""
    _insert(conn, _Target(org_id, dataset_id, entity, version_id), keys, rows_json)


def apply_record_changes(
    conn: sa.Connection,
    *,
    org_id: int,
    dataset_id: int,
    entity: str,
    version_id: int,
    upsert_keys: Sequence[str],
    upsert_json: Sequence[str],
    delete_keys: Sequence[str],
) -> None:
    """Delete `delete_keys` and the upserted keys, then insert the upserts (idempotent)."""
    gone = [*delete_keys, *upsert_keys]
    for start in range(0, len(gone), _BATCH):
        conn.execute(
            sa.delete(records).where(
                records.c.dataset_id == dataset_id,
                records.c.entity == entity,
                records.c.key.in_(gone[start : start + _BATCH]),
            )
        )
    _insert(conn, _Target(org_id, dataset_id, entity, version_id), upsert_keys, upsert_json)


@dataclass(frozen=True, slots=True)
class _Target:
    org_id: int
    dataset_id: int
    entity: str
    version_id: int


def _insert(
    conn: sa.Connection, target: _Target, keys: Sequence[str], rows_json: Sequence[str]
) -> None:
    if not keys:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, target, keys, rows_json)
        return
    # SQLite: the driver's executemany over plain tuples (no per-row SQLAlchemy work), in
    # the caller's transaction
    raw: Any = conn.connection.driver_connection
    cursor = raw.cursor()
    try:
        cursor.executemany(
            "INSERT INTO records (org_id, dataset_id, entity, key, version_id, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                (target.org_id, target.dataset_id, target.entity, k, target.version_id, j)
                for k, j in zip(keys, rows_json, strict=True)
            ),
        )
    finally:
        cursor.close()


def _copy(conn: sa.Connection, t: _Target, keys: Sequence[str], rows_json: Sequence[str]) -> None:
    """PostgreSQL COPY through psycopg, in the transaction of `conn`, fed in large chunks of
    tab-separated text built by polars (columnar) rather than row by row."""
    frame = pl.DataFrame(
        {"key": keys, "data": rows_json}, schema={"key": pl.String, "data": pl.String}
    )
    escaped = [
        pl.col(c)
        .str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all("\t", "\\t", literal=True)
        .str.replace_all("\n", "\\n", literal=True)
        .str.replace_all("\r", "\\r", literal=True)
        for c in ("key", "data")
    ]
    lines = frame.select(
        pl.concat_str(
            [
                pl.lit(f"{t.org_id}\t{t.dataset_id}\t{t.entity}\t"),
                escaped[0],
                pl.lit(f"\t{t.version_id}\t"),
                escaped[1],
                pl.lit("\n"),
            ]
        ).alias("line")
    ).get_column("line")
    raw: Any = conn.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(
            "COPY records (org_id, dataset_id, entity, key, version_id, data) FROM STDIN"
        ) as copy,
    ):
        for start in range(0, lines.len(), _BATCH):
            copy.write("".join(lines.slice(start, _BATCH).to_list()))


def get_record(
    conn: sa.Connection, *, dataset_id: int, entity: str, key: str
) -> dict[str, Any] | None:
    """One record of the read model, by key."""
    data = conn.execute(
        sa.select(records.c.data).where(
            records.c.dataset_id == dataset_id, records.c.entity == entity, records.c.key == key
        )
    ).scalar()
    if data is None:
        return None
    return json.loads(data) if isinstance(data, str) else dict(data)


def count_records(conn: sa.Connection, *, dataset_id: int, entity: str) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(records)
            .where(records.c.dataset_id == dataset_id, records.c.entity == entity)
        ).scalar_one()
    )
