"""The roster store: the canonical OneRoster roster the REST API reads, and every query on it.

One row of `roster_objects` per object per dataset (the organization's roster source):
collection, sourcedId, status (`active`, or `tobedeleted` for a tombstone), the commit time
of the version in which the object last changed, its JSON text and the index columns the API
filters on. `roster_links` holds the object ↔ school memberships (for scoping and the
`/schools/{id}/…` endpoints) and class ↔ term links.

Rows belong to a generation, as `records` do (store/records.py): readers see the generation
`read_models` names for the dataset, so a large load is written beside the visible rows and
swapped in with the records read model in one small transaction.

Bulk paths as records.py: PostgreSQL `COPY … FROM STDIN` with lines built by polars;
SQLite the driver's `executemany` inside the caller's transaction. Every function runs in the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from rosterport.domain.oneroster_query import Filter, Predicate
from rosterport.store.bulk import copy_lines, copy_text, driver_connection, driver_errors
from rosterport.store.tables import (
    organizations,
    read_models,
    roster_links,
    roster_objects,
    versions,
)

BATCH = 50_000
ACTIVE = "active"
TOBEDELETED = "tobedeleted"

# frame column of the mapping → column of roster_objects
INDEX_COLUMNS = {
    "type": "type",
    "role": "role",
    "school": "school",
    "course": "course",
    "class": "class_id",
    "user": "user_id",
    "email": "email",
    "username": "username",
    "givenName": "given_name",
    "familyName": "family_name",
    "identifier": "identifier",
}
_OBJECT_COLUMNS = [
    "org_id",
    "dataset_id",
    "generation",
    "collection",
    "sourced_id",
    "status",
    "date_last_modified",
    "version_id",
    "data",
    *INDEX_COLUMNS.values(),
]
_LINK_COLUMNS = ["dataset_id", "generation", "collection", "sourced_id", "kind", "target"]
# OneRoster field → column, where the field has one (others are read from the JSON)
FIELD_COLUMNS = {
    "sourcedId": "sourced_id",
    "status": "status",
    "dateLastModified": "date_last_modified",
    **INDEX_COLUMNS,  # class, user, school, course: the sourcedId of the reference
}


@dataclass(frozen=True, slots=True)
class Place:
    """Where rows go: the dataset's generation."""

    org_id: int
    dataset_id: int
    generation: int


def first_committed(
    conn: sa.Connection, org_id: int, *, models: Sequence[str], statuses: Sequence[str]
) -> int | None:
    """The dataset of the organization's first version of `models` with one of `statuses`
    (the roster source)."""
    found = conn.execute(
        sa.select(versions.c.dataset_id)
        .where(
            versions.c.org_id == org_id,
            versions.c.model.in_(list(models)),
            versions.c.status.in_(list(statuses)),
        )
        .order_by(versions.c.id)
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def district_and_commit(
    conn: sa.Connection, org_id: int, version_id: int
) -> tuple[str, str, datetime]:
    """(slug, name) of the organization and the commit time of the version."""
    org = conn.execute(
        sa.select(organizations.c.slug, organizations.c.name).where(organizations.c.id == org_id)
    ).one()
    committed_at = conn.execute(
        sa.select(versions.c.created_at).where(versions.c.id == version_id)
    ).scalar_one()
    return str(org.slug), str(org.name), committed_at


# -- writing -----------------------------------------------------------------------------------


def write_objects(conn: sa.Connection, place: Place, collection: str, frame: pl.DataFrame) -> int:
    """Insert objects (their keys must not be in the generation yet) and their links.

    `frame`: the mapping's columns (`sourcedId`, `json`, `schools`, index columns, `terms`)
    plus `status`, `modified` (aware UTC datetime) and `version_id`."""
    if not frame.height:
        return 0
    rows = _object_frame(place, collection, frame)
    links = _link_frame(place, collection, frame)
    if conn.dialect.name == "postgresql":
        _copy(conn, "roster_objects", _OBJECT_COLUMNS, rows)
        _copy(conn, "roster_links", _LINK_COLUMNS, links)
    else:
        _executemany(conn, "roster_objects", _OBJECT_COLUMNS, rows)
        _executemany(conn, "roster_links", _LINK_COLUMNS, links)
    return frame.height


def delete_objects(conn: sa.Connection, place: Place, collection: str, keys: Sequence[str]) -> None:
    """Delete the objects of `keys` and their links (absent keys are ignored)."""
    for table in (roster_objects, roster_links):
        for start in range(0, len(keys), BATCH):
            conn.execute(
                sa.delete(table).where(
                    table.c.dataset_id == place.dataset_id,
                    table.c.generation == place.generation,
                    table.c.collection == collection,
                    table.c.sourced_id.in_(list(keys[start : start + BATCH])),
                )
            )


def mark_deleted(
    conn: sa.Connection,
    place: Place,
    collection: str,
    keys: Sequence[str],
    *,
    when: datetime,
    version_id: int,
) -> None:
    """Turn the objects of `keys` into tombstones, changed at `when` by `version_id`."""
    for start in range(0, len(keys), BATCH):
        conn.execute(
            sa.update(roster_objects)
            .where(
                roster_objects.c.dataset_id == place.dataset_id,
                roster_objects.c.generation == place.generation,
                roster_objects.c.collection == collection,
                roster_objects.c.sourced_id.in_(list(keys[start : start + BATCH])),
                roster_objects.c.status == ACTIVE,
            )
            .values(status=TOBEDELETED, date_last_modified=when, version_id=version_id)
        )


def modified_dates(conn: sa.Connection, place: Place, collection: str) -> pl.DataFrame:
    """`sourcedId`, `status`, `modified`, `version_id` of every object of a collection."""
    o = roster_objects.c
    result = conn.execute(
        sa.select(o.sourced_id, o.status, o.date_last_modified, o.version_id).where(
            o.dataset_id == place.dataset_id,
            o.generation == place.generation,
            o.collection == collection,
        )
    ).all()
    return pl.DataFrame(
        {
            "sourcedId": [r[0] for r in result],
            "status": [r[1] for r in result],
            "modified": [r[2] for r in result],
            "version_id": [r[3] for r in result],
        },
        schema={
            "sourcedId": pl.String,
            "status": pl.String,
            "modified": pl.Datetime("us", "UTC"),
            "version_id": pl.Int64,
        },
    )


def copy_tombstones(
    conn: sa.Connection, dataset_id: int, *, source: int, target: int, since: datetime
) -> int:
    """Copy the tombstones of generation `source` changed at or after `since` into
    generation `target`, unless `target` already has an object of the same key; copied."""
    o = roster_objects
    newer = o.alias("newer")
    taken = (
        sa.select(newer.c.id)
        .where(
            newer.c.dataset_id == dataset_id,
            newer.c.generation == target,
            newer.c.collection == o.c.collection,
            newer.c.sourced_id == o.c.sourced_id,
        )
        .exists()
    )
    columns = [c for c in _OBJECT_COLUMNS if c != "generation"]
    chosen = sa.select(
        *[o.c[c] for c in columns], sa.literal(target, sa.BigInteger).label("generation")
    ).where(
        o.c.dataset_id == dataset_id,
        o.c.generation == source,
        o.c.status == TOBEDELETED,
        o.c.date_last_modified >= since,
        ~taken,
    )
    # links first (the test "not yet in target" reads the objects)
    l_ = roster_links
    linked = (
        sa.select(o.c.id)
        .where(
            o.c.dataset_id == dataset_id,
            o.c.generation == source,
            o.c.collection == l_.c.collection,
            o.c.sourced_id == l_.c.sourced_id,
            o.c.status == TOBEDELETED,
            o.c.date_last_modified >= since,
            ~taken,
        )
        .exists()
    )
    link_columns = [c for c in _LINK_COLUMNS if c != "generation"]
    conn.execute(
        sa.insert(l_).from_select(
            [*link_columns, "generation"],
            sa.select(*[l_.c[c] for c in link_columns], sa.literal(target, sa.BigInteger)).where(
                l_.c.dataset_id == dataset_id, l_.c.generation == source, linked
            ),
        )
    )
    copied = conn.execute(sa.insert(o).from_select([*columns, "generation"], chosen))
    return int(copied.rowcount)


def purge_tombstones(conn: sa.Connection, place: Place, *, before: datetime) -> int:
    """Delete the tombstones changed before `before` (past their retention); deleted."""
    o = roster_objects
    doomed = sa.and_(
        o.c.dataset_id == place.dataset_id,
        o.c.generation == place.generation,
        o.c.status == TOBEDELETED,
        o.c.date_last_modified < before,
    )
    l_ = roster_links
    conn.execute(
        sa.delete(l_).where(
            l_.c.dataset_id == place.dataset_id,
            l_.c.generation == place.generation,
            sa.exists(
                sa.select(o.c.id).where(
                    doomed, o.c.collection == l_.c.collection, o.c.sourced_id == l_.c.sourced_id
                )
            ),
        )
    )
    return int(conn.execute(sa.delete(o).where(doomed)).rowcount)


def drop_other_generations(
    conn: sa.Connection, *, dataset_id: int, keep: int, limit: int = BATCH
) -> int:
    """Delete up to `limit` objects and links of the dataset not of generation `keep`;
    rows deleted (0: none left). Callers loop, one short transaction per call."""
    total = 0
    for table in (roster_objects, roster_links):
        doomed = (
            sa.select(table.c.id)
            .where(table.c.dataset_id == dataset_id, table.c.generation != keep)
            .limit(limit)
            .scalar_subquery()
        )
        total += int(conn.execute(sa.delete(table).where(table.c.id.in_(doomed))).rowcount)
    return total


def clear_generation(conn: sa.Connection, *, dataset_id: int, generation: int) -> None:
    """Delete every object and link of one generation of the dataset."""
    for table in (roster_objects, roster_links):
        conn.execute(
            sa.delete(table).where(
                table.c.dataset_id == dataset_id, table.c.generation == generation
            )
        )


def analyze(conn: sa.Connection) -> None:
    """PostgreSQL: fresh planner statistics after a bulk load (without them a query over a
    freshly loaded generation may be planned as over an empty table)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE roster_objects")
        conn.exec_driver_sql("ANALYZE roster_links")


def has_objects(conn: sa.Connection, *, dataset_id: int, generation: int) -> bool:
    o = roster_objects.c
    found = conn.execute(
        sa.select(o.id).where(o.dataset_id == dataset_id, o.generation == generation).limit(1)
    ).first()
    return found is not None


def _object_frame(place: Place, collection: str, frame: pl.DataFrame) -> pl.DataFrame:
    index = [
        (pl.col(src).cast(pl.String) if src in frame.columns else pl.lit(None, pl.String)).alias(
            dst
        )
        for src, dst in INDEX_COLUMNS.items()
    ]
    return frame.select(
        pl.lit(place.org_id, pl.Int64).alias("org_id"),
        pl.lit(place.dataset_id, pl.Int64).alias("dataset_id"),
        pl.lit(place.generation, pl.Int64).alias("generation"),
        pl.lit(collection, pl.String).alias("collection"),
        pl.col("sourcedId").alias("sourced_id"),
        pl.col("status"),
        pl.col("modified").alias("date_last_modified"),
        pl.col("version_id").cast(pl.Int64),
        pl.col("json").alias("data"),
        *index,
    ).sort("sourced_id")


def _link_frame(place: Place, collection: str, frame: pl.DataFrame) -> pl.DataFrame:
    parts = []
    for kind, column in (("school", "schools"), ("term", "terms")):
        if column not in frame.columns:
            continue
        parts.append(
            frame.select(pl.col("sourcedId").alias("sourced_id"), pl.col(column).alias("target"))
            .explode("target")
            .drop_nulls("target")
            .unique()
            .with_columns(pl.lit(kind, pl.String).alias("kind"))
        )
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(_LINK_COLUMNS, pl.String))
    links = pl.concat(parts)
    return links.select(
        pl.lit(place.dataset_id, pl.Int64).alias("dataset_id"),
        pl.lit(place.generation, pl.Int64).alias("generation"),
        pl.lit(collection, pl.String).alias("collection"),
        pl.col("sourced_id"),
        pl.col("kind"),
        pl.col("target").cast(pl.String),
    ).sort("kind", "target", "sourced_id")


def _executemany(conn: sa.Connection, table: str, columns: list[str], frame: pl.DataFrame) -> None:
    if not frame.height:
        return
    if "date_last_modified" in frame.columns:  # SQLite stores text (UTCDateTime's format)
        frame = frame.with_columns(
            pl.col("date_last_modified").dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
        )
    marks = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    cursor = driver_connection(conn).cursor()
    try:
        with driver_errors(conn, statement):
            for start in range(0, frame.height, BATCH):
                cursor.executemany(statement, frame.slice(start, BATCH).select(columns).rows())
    finally:
        cursor.close()


def _copy(conn: sa.Connection, table: str, columns: list[str], frame: pl.DataFrame) -> None:
    if not frame.height:
        return
    cells = []
    for name in columns:
        column = pl.col(name)
        if frame.schema[name] == pl.Datetime("us", "UTC"):
            text = column.dt.strftime("%Y-%m-%d %H:%M:%S%.6f+00")
        else:
            text = copy_text(column.cast(pl.String))
        cells.append(text.fill_null("\\N"))
    lines = frame.select(pl.concat_str(cells, separator="\t").add("\n").alias("line")).get_column(
        "line"
    )
    copy_lines(conn, table, ", ".join(columns), lines)


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """The rows readers see: the dataset's visible generation (read once per request, so
    that the planner sees plain values)."""

    dataset_id: int
    generation: int


def visible(conn: sa.Connection, dataset_id: int) -> Source:
    """The dataset's rows visible now (generation 0 before anything was propagated)."""
    generation = conn.execute(
        sa.select(read_models.c.generation).where(read_models.c.dataset_id == dataset_id)
    ).scalar()
    return Source(dataset_id, 0 if generation is None else int(generation))


@dataclass(frozen=True, slots=True)
class Selection:
    """What one API call reads: objects of one collection of a dataset, narrowed."""

    source: Source
    collection: str
    equal: dict[str, str] = field(default_factory=dict)  # column → value (type, role, …)
    json_equal: dict[str, str] = field(default_factory=dict)  # JSON path → value
    linked: tuple[str, str] | None = None  # (kind, target): a school's or term's objects
    sourced_ids: sa.Select[Any] | None = None  # sourcedId IN (subquery)
    schools: tuple[str, ...] | None = None  # the application's schools (None: all)
    filter: Filter | None = None
    only_active: bool = False


def json_text(dialect: str, path: str) -> sa.ColumnElement[Any]:
    """The text at a dotted JSON path of an object (arrays and objects as JSON text)."""
    parts = path.split(".")
    if dialect == "postgresql":
        return sa.func.json_extract_path_text(
            sa.cast(roster_objects.c.data, sa.JSON), *[sa.literal(p, sa.Text) for p in parts]
        )
    return sa.func.json_extract(roster_objects.c.data, "$." + path)


def field_expr(dialect: str, name: str) -> sa.ColumnElement[Any]:
    """The SQL of a OneRoster field: its column, else its text in the JSON."""
    column = FIELD_COLUMNS.get(name)
    if column is not None:
        return roster_objects.c[column]
    return json_text(dialect, name)


def enrolled(
    source: Source, *, select: str, where: dict[str, str], active: bool = True
) -> sa.Select[Any]:
    """`select` column (user_id, class_id) of the enrollments matching `where` columns."""
    o = roster_objects.c
    query = sa.select(o[select]).where(
        o.dataset_id == source.dataset_id,
        o.generation == source.generation,
        o.collection == "enrollments",
        *[o[c] == v for c, v in where.items()],
    )
    return query.where(o.status == ACTIVE) if active else query


def _where(dialect: str, s: Selection) -> list[sa.ColumnElement[bool]]:
    o = roster_objects.c
    gen = s.source.generation
    dataset_id = s.source.dataset_id
    clauses: list[sa.ColumnElement[bool]] = [
        o.dataset_id == dataset_id,
        o.generation == gen,
        o.collection == s.collection,
    ]
    clauses += [o[c] == v for c, v in s.equal.items()]
    clauses += [json_text(dialect, p) == v for p, v in s.json_equal.items()]
    if s.only_active:
        clauses.append(o.status == ACTIVE)
    if s.sourced_ids is not None:
        clauses.append(o.sourced_id.in_(s.sourced_ids))
    l_ = roster_links.c
    if s.linked is not None:  # driven by the links' index: a school's objects in key order
        kind, target = s.linked
        clauses.append(
            o.sourced_id.in_(
                sa.select(l_.sourced_id).where(
                    l_.dataset_id == dataset_id,
                    l_.generation == gen,
                    l_.kind == kind,
                    l_.target == target,
                    l_.collection == s.collection,
                )
            )
        )
    if s.schools is not None:
        in_school: sa.ColumnElement[bool] = o.sourced_id.in_(
            sa.select(l_.sourced_id).where(
                l_.dataset_id == dataset_id,
                l_.generation == gen,
                l_.kind == "school",
                l_.target.in_(list(s.schools)),
                l_.collection == s.collection,
            )
        )
        if s.collection == "orgs":  # the district, and the schools themselves
            in_school = sa.or_(in_school, o.type == "district", o.sourced_id.in_(list(s.schools)))
        clauses.append(in_school)
    if s.filter is not None:
        clauses.append(_filter(dialect, s.filter))
    return clauses


def _filter(dialect: str, f: Filter) -> sa.ColumnElement[bool]:
    parts = [_predicate(dialect, p) for p in f.predicates]
    return sa.or_(*parts) if f.joiner == "OR" else sa.and_(*parts)


def _predicate(dialect: str, p: Predicate) -> sa.ColumnElement[bool]:
    column = field_expr(dialect, p.field)
    value: Any = p.value
    if p.field == "dateLastModified":
        value = p.when
    if p.op == "~":
        pattern = "%" + _like_escape(p.value.lower()) + "%"
        return sa.func.lower(sa.cast(column, sa.String)).like(pattern, escape="\\")
    ops: dict[str, Any] = {
        "=": column.__eq__,
        "!=": column.__ne__,
        ">": column.__gt__,
        ">=": column.__ge__,
        "<": column.__lt__,
        "<=": column.__le__,
    }
    compared: sa.ColumnElement[bool] = ops[p.op](value)
    if p.op == "!=":  # a missing value differs from any given one
        compared = sa.or_(compared, column.is_(None))
    return compared


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class Found:
    """One object as stored."""

    sourced_id: str
    status: str
    modified: datetime
    data: str


def count(conn: sa.Connection, s: Selection) -> int:
    query = (
        sa.select(sa.func.count()).select_from(roster_objects).where(*_where(conn.dialect.name, s))
    )
    return int(conn.execute(query).scalar_one())


def page(
    conn: sa.Connection,
    s: Selection,
    *,
    limit: int,
    offset: int,
    sort: str | None = None,
    descending: bool = False,
) -> list[Found]:
    """A page of the selection, in a stable order (by `sort`, then by sourcedId)."""
    o = roster_objects.c
    order: list[Any] = []
    if sort is not None and sort != "sourcedId":
        key = field_expr(conn.dialect.name, sort)
        order.append(key.desc() if descending else key.asc())
    order.append(o.sourced_id.desc() if descending and sort == "sourcedId" else o.sourced_id)
    query = (
        sa.select(o.sourced_id, o.status, o.date_last_modified, o.data)
        .where(*_where(conn.dialect.name, s))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return [Found(r[0], r[1], r[2], r[3]) for r in conn.execute(query)]


def one(conn: sa.Connection, s: Selection, sourced_id: str) -> Found | None:
    o = roster_objects.c
    row = conn.execute(
        sa.select(o.sourced_id, o.status, o.date_last_modified, o.data).where(
            *_where(conn.dialect.name, s), o.sourced_id == sourced_id
        )
    ).first()
    return None if row is None else Found(row[0], row[1], row[2], row[3])
