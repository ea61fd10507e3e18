"""The OneRoster 1.1 REST API's one service: a parsed request in, objects out
(spec/roster-delivery.md §2). Routes (web/oneroster/) parse and present; the queries are in
store/roster/queries.py; the query language and envelopes in domain/oneroster_query.py.

Which objects a caller sees: those of its organization's roster source, in the visible
generation, within the application's schools when it has a subset. Lists show active
objects; a `filter` naming `dateLastModified` or `status` (the delta read) sees tombstones
too. One object by sourcedId is answered whatever its status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from rosterport.domain import oneroster_query as q
from rosterport.errors import ApiProblem, QueryError
from rosterport.services import roster_store
from rosterport.services.api_apps import AppCaller
from rosterport.services.hub import Hub
from rosterport.store.roster import queries as roster
from rosterport.store.roster.queries import Selection, Source


@dataclass(frozen=True, slots=True)
class Kind:
    """An endpoint name: the collection it reads and what narrows it."""

    collection: str
    equal: dict[str, str] = field(default_factory=dict)


KINDS: dict[str, Kind] = {
    "academicSessions": Kind("academicSessions"),
    "classes": Kind("classes"),
    "courses": Kind("courses"),
    "demographics": Kind("demographics"),
    "enrollments": Kind("enrollments"),
    "gradingPeriods": Kind("academicSessions", {"type": "gradingPeriod"}),
    "orgs": Kind("orgs"),
    "schools": Kind("orgs", {"type": "school"}),
    "students": Kind("users", {"role": "student"}),
    "teachers": Kind("users", {"role": "teacher"}),
    "terms": Kind("academicSessions", {"type": "term"}),
    "users": Kind("users"),
}
# (parent, child) of `/{parent}/{id}/{child}`
NESTED = (
    ("classes", "students"),
    ("classes", "teachers"),
    ("courses", "classes"),
    ("schools", "classes"),
    ("schools", "courses"),
    ("schools", "enrollments"),
    ("schools", "students"),
    ("schools", "teachers"),
    ("schools", "terms"),
    ("students", "classes"),
    ("teachers", "classes"),
    ("terms", "classes"),
    ("terms", "gradingPeriods"),
    ("users", "classes"),
)
CLASS_IN_SCHOOL = ("enrollments", "students", "teachers")  # /schools/{s}/classes/{c}/…
_ROLE = {"students": "student", "teachers": "teacher"}
NOTHING = Source(0, 0)  # no roster source yet


@dataclass(frozen=True, slots=True)
class Answer:
    """What the route presents: the envelope key and body, and paging when a list."""

    key: str
    body: Any
    total: int | None = None
    limit: int = 0
    offset: int = 0


def _dataset(hub: Hub, caller: AppCaller) -> Source | None:
    """The rows of the caller's organization's roster source visible now."""
    with hub.engine.connect() as conn:
        dataset_id = roster_store.roster_source(conn, caller.org_id)
        return None if dataset_id is None else roster.visible(conn, dataset_id)


def _selection(dataset_id: Source, kind: Kind, caller: AppCaller) -> Selection:
    if not caller.may_read(kind.collection):
        raise ApiProblem(
            403,
            "unauthorisedrequest",
            f"this application's scopes do not include {kind.collection}",
        )
    return Selection(dataset_id, kind.collection, equal=dict(kind.equal), schools=caller.schools)


def _require(hub: Hub, s: Selection, sourced_id: str, what: str) -> None:
    with hub.engine.connect() as conn:
        if roster.one(conn, s, sourced_id) is None:
            raise ApiProblem(404, "unknownobject", f"there is no {what} {sourced_id!r}")


def one(
    hub: Hub,
    caller: AppCaller,
    name: str,
    sourced_id: str,
    *,
    params: Mapping[str, str],
    base: str,
) -> Answer:
    """`/{name}/{sourcedId}`."""
    kind = KINDS[name]
    fields = _parsed(kind.collection, params, single=True)[1]
    dataset = _dataset(hub, caller)
    found = None
    if dataset is not None:
        s = _selection(dataset, kind, caller)
        with hub.engine.connect() as conn:
            found = roster.one(conn, s, sourced_id)
    elif not caller.may_read(kind.collection):
        _selection(NOTHING, kind, caller)
    if found is None:
        what = q.ENVELOPES[kind.collection][1]
        raise ApiProblem(404, "unknownobject", f"there is no {what} {sourced_id!r}")
    body = q.present(
        found.sourced_id, found.status, found.modified, found.data, base=base, fields=fields
    )
    return Answer(q.ENVELOPES[kind.collection][1], body)


def _parsed(
    collection: str, params: Mapping[str, str], *, single: bool = False
) -> tuple[q.Filter | None, tuple[str, ...] | None, tuple[str | None, bool], tuple[int, int]]:
    try:
        fields = q.parse_fields(collection, params.get("fields"))
        if single:
            return None, fields, (None, False), (1, 0)
        return (
            q.parse_filter(collection, params.get("filter")),
            fields,
            q.parse_sort(collection, params.get("sort"), params.get("orderBy")),
            q.parse_paging(params.get("limit"), params.get("offset")),
        )
    except QueryError as error:
        raise ApiProblem(400, error.code, error.message) from error


def listing(
    hub: Hub,
    caller: AppCaller,
    path: tuple[str, ...],
    params: Mapping[str, str],
    base: str,
) -> Answer:
    """A collection: `(name,)`, `(parent, id, child)` or `("schools", s, "classes", c,
    child)`."""
    name = path[-1]
    kind = KINDS[name]
    filter_, fields, (sort, descending), (limit, offset) = _parsed(kind.collection, params)
    dataset = _dataset(hub, caller)
    key = q.ENVELOPES[kind.collection][0]
    if dataset is None:
        _selection(NOTHING, kind, caller)  # scope first: 403 even before any data exists
        if len(path) > 1:
            raise ApiProblem(404, "unknownobject", f"there is no {path[0][:-1]} {path[1]!r}")
        return Answer(key, [], 0, limit, offset)
    s = _selection(dataset, kind, caller)
    if len(path) == 3:
        s = _nested(hub, caller, dataset, path[0], path[1], child=name, s=s)
    elif len(path) == 5:
        s = _class_in_school(hub, caller, dataset, path[1], path[3], child=name, s=s)
    seen_tombstones = filter_ is not None and any(
        p.field in ("dateLastModified", "status") for p in filter_.predicates
    )
    s = replace(s, filter=filter_, only_active=not seen_tombstones)
    with hub.engine.connect() as conn:
        total = roster.count(conn, s)
        rows = roster.page(conn, s, limit=limit, offset=offset, sort=sort, descending=descending)
    body = [
        q.present(r.sourced_id, r.status, r.modified, r.data, base=base, fields=fields)
        for r in rows
    ]
    return Answer(key, body, total, limit, offset)


def _parent(hub: Hub, caller: AppCaller, dataset: Source, name: str, sourced_id: str) -> None:
    parent = KINDS[name]
    if not caller.may_read(parent.collection):
        return
    _require(hub, _selection(dataset, parent, caller), sourced_id, name[:-1])


def _nested(
    hub: Hub,
    caller: AppCaller,
    dataset: Source,
    parent: str,
    parent_id: str,
    *,
    child: str,
    s: Selection,
) -> Selection:
    _parent(hub, caller, dataset, parent, parent_id)
    if parent == "classes":  # the class's students or teachers
        ids = roster.enrolled(
            dataset, select="user_id", where={"class_id": parent_id, "role": _ROLE[child]}
        )
        return replace(s, sourced_ids=ids)
    if parent == "courses":
        return replace(s, equal={**s.equal, "course": parent_id})
    if parent == "schools":
        return replace(s, linked=("school", parent_id))
    if parent in ("students", "teachers", "users"):
        ids = roster.enrolled(dataset, select="class_id", where={"user_id": parent_id})
        return replace(s, sourced_ids=ids)
    if child == "classes":  # terms
        return replace(s, linked=("term", parent_id))
    return replace(s, json_equal={"parent.sourcedId": parent_id})  # a term's grading periods


def _class_in_school(
    hub: Hub,
    caller: AppCaller,
    dataset: Source,
    school: str,
    class_id: str,
    *,
    child: str,
    s: Selection,
) -> Selection:
    _parent(hub, caller, dataset, "schools", school)
    in_school = replace(_selection(dataset, KINDS["classes"], caller), linked=("school", school))
    _require(hub, in_school, class_id, f"class in school {school!r}")
    if child == "enrollments":
        return replace(s, equal={**s.equal, "class_id": class_id})
    ids = roster.enrolled(
        dataset, select="user_id", where={"class_id": class_id, "role": _ROLE[child]}
    )
    return replace(s, sourced_ids=ids)
