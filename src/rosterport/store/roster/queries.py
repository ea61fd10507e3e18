"""The REST API's reads of the roster store: the generation readers see, what one call selects
(a collection narrowed by columns, JSON values, links, schools and a OneRoster filter) as SQL,
and the count, a page or one object of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.domain.oneroster_query import Filter, Predicate
from rosterport.store.like import ESCAPE, escape_like
from rosterport.store.roster.rows import ACTIVE, INDEX_COLUMNS
from rosterport.store.tables import read_models, roster_links, roster_objects

# OneRoster field → column, where the field has one (others are read from the JSON)
FIELD_COLUMNS = {
    "sourcedId": "sourced_id",
    "status": "status",
    "dateLastModified": "date_last_modified",
    **INDEX_COLUMNS,  # class, user, school, course: the sourcedId of the reference
}


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


def where_clauses(dialect: str, s: Selection) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of a selection (the SFTP export reads with the API's scoping too)."""
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
        pattern = "%" + escape_like(p.value.lower()) + "%"
        return sa.func.lower(sa.cast(column, sa.String)).like(pattern, escape=ESCAPE)
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


@dataclass(frozen=True, slots=True)
class Found:
    """One object as stored."""

    sourced_id: str
    status: str
    modified: datetime
    data: str


def count(conn: sa.Connection, s: Selection) -> int:
    """How many objects the selection holds."""
    query = (
        sa.select(sa.func.count())
        .select_from(roster_objects)
        .where(*where_clauses(conn.dialect.name, s))
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
        .where(*where_clauses(conn.dialect.name, s))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return [Found(r[0], r[1], r[2], r[3]) for r in conn.execute(query)]


def one(conn: sa.Connection, s: Selection, sourced_id: str) -> Found | None:
    """The object of the selection with this sourcedId, if any."""
    o = roster_objects.c
    row = conn.execute(
        sa.select(o.sourced_id, o.status, o.date_last_modified, o.data).where(
            *where_clauses(conn.dialect.name, s), o.sourced_id == sourced_id
        )
    ).first()
    return None if row is None else Found(row[0], row[1], row[2], row[3])
