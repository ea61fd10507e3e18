"""Every query of SFTP export: the exports (an application's server), their runs (one
delivery's files, sizes and checksums), their rows of the `deliveries` ledger, and the roster
objects a delivery writes, read in chunks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from rosterport.domain.roster.objects import INDEX
from rosterport.store.bulk import driver_connection, driver_errors
from rosterport.store.roster.queries import Selection, Source, where_clauses
from rosterport.store.roster.rows import INDEX_COLUMNS
from rosterport.store.tables import (
    deliveries,
    organizations,
    read_models,
    roster_objects,
    sftp_export_runs,
    sftp_exports,
    versions,
)

CHUNK = 50_000  # roster objects read (and written as CSV) at a time


# -- exports ---------------------------------------------------------------------------------


def insert_export(conn: sa.Connection, **values: Any) -> int:
    return int(
        conn.execute(
            sa.insert(sftp_exports).values(**values).returning(sftp_exports.c.id)
        ).scalar_one()
    )


def update_export(conn: sa.Connection, export_id: int, **values: Any) -> None:
    conn.execute(sa.update(sftp_exports).where(sftp_exports.c.id == export_id).values(**values))


def export_row(conn: sa.Connection, export_id: int) -> sa.Row[Any] | None:
    return conn.execute(sa.select(sftp_exports).where(sftp_exports.c.id == export_id)).first()


def export_rows(conn: sa.Connection, *, org_id: int | None = None) -> list[sa.Row[Any]]:
    """Every export (of one organization when given), oldest first."""
    query = sa.select(sftp_exports).order_by(sftp_exports.c.id)
    if org_id is not None:
        query = query.where(sftp_exports.c.org_id == org_id)
    return list(conn.execute(query))


def take_scheduled_day(conn: sa.Connection, export_id: int, day: str) -> bool:
    """Claim the timed run of local day `day` (compare-and-set: two workers never both
    enqueue it); False when it was already taken."""
    done = conn.execute(
        sa.update(sftp_exports)
        .where(
            sftp_exports.c.id == export_id,
            sa.or_(
                sftp_exports.c.last_scheduled_on.is_(None),
                sftp_exports.c.last_scheduled_on != day,
            ),
        )
        .values(last_scheduled_on=day)
    )
    return done.rowcount == 1


# -- what is in production -------------------------------------------------------------------


def org_of_version(conn: sa.Connection, version_id: int) -> tuple[int, int] | None:
    """(org_id, dataset_id) of a version."""
    row = conn.execute(
        sa.select(versions.c.org_id, versions.c.dataset_id).where(versions.c.id == version_id)
    ).first()
    return None if row is None else (int(row.org_id), int(row.dataset_id))


def held_version(conn: sa.Connection, dataset_id: int) -> tuple[int | None, Source]:
    """The version the roster store of the dataset holds, and its visible rows."""
    row = conn.execute(
        sa.select(read_models.c.version_id, read_models.c.generation).where(
            read_models.c.dataset_id == dataset_id
        )
    ).first()
    if row is None:
        return None, Source(dataset_id, 0)
    return row.version_id, Source(dataset_id, int(row.generation))


def org_slug(conn: sa.Connection, org_id: int) -> str:
    return str(
        conn.execute(
            sa.select(organizations.c.slug).where(organizations.c.id == org_id)
        ).scalar_one()
    )


# -- roster objects --------------------------------------------------------------------------


def objects(
    conn: sa.Connection,
    source: Source,
    collection: str,
    *,
    schools: Sequence[str] | None,
    after_version: int | None,
) -> Iterator[pl.DataFrame]:
    """The collection's objects (`sourcedId`, `status`, `dateLastModified`, `json`) in
    sourcedId order, CHUNK at a time: within `schools` (None: all), and when
    `after_version` is given only those changed by a later version (tombstones included)."""
    selection = Selection(source, collection, schools=None if schools is None else tuple(schools))
    o = roster_objects.c
    clauses = where_clauses(conn.dialect.name, selection)  # the API's school scoping
    if after_version is not None:
        clauses.append(o.version_id > after_version)
    index = [
        o[INDEX_COLUMNS[name]].label(name) for name in INDEX[collection] if name in INDEX_COLUMNS
    ]
    query = (
        sa.select(o.sourced_id, o.status, o.date_last_modified, o.data, *index)
        .where(*clauses)
        .order_by(o.sourced_id)
    )
    if conn.dialect.name == "postgresql":
        yield from _copied(conn, query, [c.name for c in index])
        return
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
    schema: dict[str, pl.DataType] = {
        "sourcedId": pl.String(),
        "status": pl.String(),
        "dateLastModified": pl.Datetime("us", "UTC"),
        "json": pl.String(),
        **{c.name: pl.String() for c in index},
    }
    for part in result.partitions(CHUNK):
        yield pl.DataFrame(part, schema=schema, orient="row")


COPY_BLOCK = 16 << 20  # bytes of COPY output parsed at a time (~50k objects)


def _copied(conn: sa.Connection, query: sa.Select[Any], index: list[str]) -> Iterator[pl.DataFrame]:
    """PostgreSQL: the query's rows through `COPY (…) TO STDOUT` (text format: one line per
    row, tab-separated), parsed by polars a block of lines at a time — no Python object per
    row. The time is sent as microseconds since the epoch."""
    o = roster_objects.c
    columns = ["sourcedId", "status", "dateLastModified", "json", *index]
    micros = sa.cast(sa.func.extract("epoch", o.date_last_modified) * 1_000_000, sa.BigInteger)
    selected = query.with_only_columns(
        o.sourced_id, o.status, micros, o.data, *query.selected_columns[4:]
    )
    sql = str(selected.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    statement = f"COPY ({sql}) TO STDOUT"
    blocks: list[bytes] = []
    size = 0
    with driver_errors(conn, statement), driver_connection(conn).cursor() as cursor:
        with cursor.copy(statement) as copy:
            for block in copy:
                blocks.append(bytes(block))
                size += len(block)
                if size < COPY_BLOCK:
                    continue
                pending = b"".join(blocks)
                cut = pending.rfind(b"\n") + 1
                if not cut:  # one row longer than a block: wait for its end
                    blocks, size = [pending], len(pending)
                    continue
                yield _parsed(pending[:cut], columns)
                rest = pending[cut:]
                blocks, size = [rest], len(rest)
        pending = b"".join(blocks)
        if pending:
            yield _parsed(pending, columns)


def _parsed(lines: bytes, columns: list[str]) -> pl.DataFrame:
    frame = pl.read_csv(
        lines,
        separator="\t",
        has_header=False,
        new_columns=columns,
        quote_char=None,
        infer_schema=False,
        null_values="\\N",
    )
    return frame.with_columns(
        *(_unescaped(pl.col(c)) for c in columns if c != "dateLastModified"),
        pl.from_epoch(pl.col("dateLastModified").cast(pl.Int64), time_unit="us")
        .dt.replace_time_zone("UTC")
        .alias("dateLastModified"),
    )


def _unescaped(column: pl.Expr) -> pl.Expr:
    """A column of COPY's text format as its text (backslash escapes undone)."""
    return (
        column.str.replace_all("\\\\", "\x00", literal=True)
        .str.replace_all("\\t", "\t", literal=True)
        .str.replace_all("\\n", "\n", literal=True)
        .str.replace_all("\\r", "\r", literal=True)
        .str.replace_all("\x00", "\\", literal=True)
    )


# -- runs and the ledger ---------------------------------------------------------------------


def start_run(
    conn: sa.Connection, *, export_id: int, version_id: int, kind: str, attempt: int, now: datetime
) -> int:
    return int(
        conn.execute(
            sa.insert(sftp_export_runs)
            .values(
                export_id=export_id,
                version_id=version_id,
                kind=kind,
                state="running",
                attempts=attempt,
                started_at=now,
            )
            .returning(sftp_export_runs.c.id)
        ).scalar_one()
    )


def finish_run(
    conn: sa.Connection,
    run_id: int,
    *,
    state: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
    size: int = 0,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {"state": state, "finished_at": now, "last_error": error}
    if detail is not None:
        values.update(detail=detail, bytes=size)
    conn.execute(
        sa.update(sftp_export_runs).where(sftp_export_runs.c.id == run_id).values(**values)
    )


def runs(conn: sa.Connection, export_id: int, *, limit: int = 20) -> list[sa.Row[Any]]:
    """The export's latest runs, newest first."""
    return list(
        conn.execute(
            sa.select(sftp_export_runs)
            .where(sftp_export_runs.c.export_id == export_id)
            .order_by(sftp_export_runs.c.id.desc())
            .limit(limit)
        )
    )


def delivery(conn: sa.Connection, version_id: int, consumer: str) -> sa.Row[Any] | None:
    return conn.execute(
        sa.select(deliveries).where(
            deliveries.c.version_id == version_id, deliveries.c.consumer == consumer
        )
    ).first()
