"""The OneRoster 1.1 REST query language and envelopes, pure: `filter`, `sort`/`orderBy`,
`fields`, paging links, and the shape of objects and errors (spec/roster-delivery.md §2).

    parse_filter("users", "role='teacher' AND email~'@school.org'")
    → Filter((Predicate("role", "=", "teacher"), Predicate("email", "~", "@school.org")), "AND")

Grammar: `FIELD OP 'VALUE'` with OP among `= != > >= < <= ~` (`~`: contains, case-insensitive),
at most two predicates joined by ` AND ` or ` OR `. Dates compare as ISO text
(`dateLastModified>'2026-11-30T00:00:00Z'`). A bad query is a `QueryError` carrying the
OneRoster code minor (`invalid_filter_field`, `invalid_sort_field`, `invalid_selection_field`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from rosterport.domain.roster.objects import DEMOGRAPHIC_FIELDS
from rosterport.errors import QueryError

_COMMON = ("sourcedId", "status", "dateLastModified", "metadata")
FIELDS: dict[str, tuple[str, ...]] = {
    "orgs": (*_COMMON, "name", "type", "identifier", "parent", "children"),
    "academicSessions": (
        *_COMMON,
        "title",
        "startDate",
        "endDate",
        "type",
        "parent",
        "children",
        "schoolYear",
    ),
    "courses": (
        *_COMMON,
        "title",
        "schoolYear",
        "courseCode",
        "grades",
        "subjects",
        "org",
        "subjectCodes",
        "resources",
    ),
    "classes": (
        *_COMMON,
        "title",
        "classCode",
        "classType",
        "location",
        "grades",
        "subjects",
        "course",
        "school",
        "terms",
        "subjectCodes",
        "periods",
        "resources",
    ),
    "users": (
        *_COMMON,
        "username",
        "userIds",
        "enabledUser",
        "givenName",
        "familyName",
        "middleName",
        "role",
        "identifier",
        "email",
        "sms",
        "phone",
        "agents",
        "orgs",
        "grades",
    ),
    "enrollments": (
        *_COMMON,
        "user",
        "class",
        "school",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),
    "demographics": (*_COMMON, *DEMOGRAPHIC_FIELDS),
}
# the envelope keys of each collection: (list, one object)
ENVELOPES: dict[str, tuple[str, str]] = {
    "orgs": ("orgs", "org"),
    "academicSessions": ("academicSessions", "academicSession"),
    "courses": ("courses", "course"),
    "classes": ("classes", "class"),
    "users": ("users", "user"),
    "enrollments": ("enrollments", "enrollment"),
    "demographics": ("demographics", "demographics"),
}
OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

_FIELD = r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*"
_PREDICATE = rf"\s*({_FIELD})\s*(!=|>=|<=|=|>|<|~)\s*'([^']*)'\s*"
_FILTER = re.compile(rf"^{_PREDICATE}(?:\s(AND|OR)\s{_PREDICATE})?$")


@dataclass(frozen=True, slots=True)
class Predicate:
    field: str
    op: str
    value: str

    @property
    def when(self) -> datetime:
        """The value as an aware UTC time (for `dateLastModified`)."""
        return parse_time(self.value)


@dataclass(frozen=True, slots=True)
class Filter:
    predicates: tuple[Predicate, ...]
    joiner: str | None = None  # "AND", "OR" (two predicates) or None


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime (no zone: UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise QueryError(
            "invalid_filter_field",
            f"{text!r} is not an ISO 8601 date-time such as 2026-11-30T00:00:00Z",
        ) from error
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def known_field(collection: str, name: str) -> bool:
    """A field of the collection's objects (dotted paths start with one)."""
    return name.split(".", maxsplit=1)[0] in FIELDS[collection]


def parse_filter(collection: str, text: str | None) -> Filter | None:
    """The `filter` parameter (None when absent or empty)."""
    if text is None or not text.strip():
        return None
    match = _FILTER.match(text)
    if match is None:
        raise QueryError(
            "invalid_filter_field",
            f"filter {text!r} is not FIELD OP 'VALUE' (OP one of = != > >= < <= ~), "
            "or two of them joined by ' AND ' or ' OR '",
        )
    groups = match.groups()
    predicates = [Predicate(*groups[0:3])]
    joiner = groups[3]
    if joiner is not None:
        predicates.append(Predicate(*groups[4:7]))
    for predicate in predicates:
        if not known_field(collection, predicate.field):
            raise QueryError(
                "invalid_filter_field",
                f"{collection} have no field {predicate.field!r} to filter on",
            )
        if predicate.field == "dateLastModified":
            parse_time(predicate.value)
    return Filter(tuple(predicates), joiner)


def parse_sort(collection: str, sort: str | None, order_by: str | None) -> tuple[str | None, bool]:
    """(`sort` field or None, descending)."""
    descending = False
    if order_by is not None and order_by.strip():
        if order_by.strip().lower() not in ("asc", "desc"):
            raise QueryError("invalid_sort_field", f"orderBy must be asc or desc, not {order_by!r}")
        descending = order_by.strip().lower() == "desc"
    if sort is None or not sort.strip():
        return None, descending
    field = sort.strip()
    if not re.fullmatch(_FIELD, field) or not known_field(collection, field):
        raise QueryError("invalid_sort_field", f"{collection} have no field {field!r} to sort by")
    return field, descending


def parse_fields(collection: str, text: str | None) -> tuple[str, ...] | None:
    """The `fields` parameter: the fields to answer (None: all)."""
    if text is None or not text.strip():
        return None
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FIELDS[collection]]
    if unknown:
        raise QueryError(
            "invalid_selection_field",
            f"{collection} have no field {', '.join(map(repr, unknown))}; "
            f"fields are {', '.join(FIELDS[collection])}",
        )
    return names


def parse_paging(limit: str | None, offset: str | None) -> tuple[int, int]:
    """(limit, offset): limit defaults to 100 and is capped at 10,000."""

    def number(name: str, text: str | None, default: int, least: int) -> int:
        if text is None or not text.strip():
            return default
        try:
            value = int(text)
        except ValueError:
            value = least - 1
        if value < least:
            raise QueryError("invaliddata", f"{name} must be a whole number ≥ {least}")
        return value

    return min(number("limit", limit, DEFAULT_LIMIT, 1), MAX_LIMIT), number("offset", offset, 0, 0)


def iso(when: datetime) -> str:
    """A time as OneRoster writes it: `2026-11-28T09:00:00.000Z`."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _absolute(value: Any, base: str) -> Any:
    if isinstance(value, dict):
        out = {k: _absolute(v, base) for k, v in value.items()}
        href = out.get("href")
        if isinstance(href, str) and href.startswith("/"):
            out["href"] = base + href
        return out
    if isinstance(value, list):
        return [_absolute(v, base) for v in value]
    return value


def present(
    sourced_id: str,
    status: str,
    modified: datetime,
    data: str,
    *,
    base: str,
    fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One object as the API answers it: sourcedId, status, dateLastModified, then the
    mapped fields, references with full `href` (base URL + relative); only `fields` if given."""
    body: dict[str, Any] = json.loads(data)
    body.pop("sourcedId", None)
    body.pop("status", None)
    body.pop("dateLastModified", None)
    body.pop("password", None)  # never delivered
    out: dict[str, Any] = {
        "sourcedId": sourced_id,
        "status": status,
        "dateLastModified": iso(modified),
    }
    out.update(_absolute(body, base))
    if fields is not None:
        out = {k: v for k, v in out.items() if k in fields}
    return out


def paging_links(
    url: str, params: Mapping[str, str], *, total: int, limit: int, offset: int
) -> str:
    """The `Link` header: first, prev, next, last pages (RFC 8288)."""

    def at(start: int) -> str:
        query = {**params, "limit": str(limit), "offset": str(start)}
        return f"<{url}?{urlencode(query)}>"

    last = max(0, (total - 1) // limit * limit) if total else 0
    links = [f'{at(0)}; rel="first"']
    if offset > 0:
        links.append(f'{at(max(0, offset - limit))}; rel="prev"')
    if offset + limit < total:
        links.append(f'{at(offset + limit)}; rel="next"')
    links.append(f'{at(last)}; rel="last"')
    return ", ".join(links)


def status_info(code: str, description: str) -> dict[str, Any]:
    """The OneRoster error body."""
    return {
        "statusInfoSet": [
            {
                "imsx_codeMajor": "failure",
                "imsx_severity": "error",
                "imsx_description": description,
                "imsx_CodeMinor": {
                    "imsx_codeMinorField": [
                        {
                            "imsx_codeMinorFieldName": "TargetEndSystem",
                            "imsx_codeMinorFieldValue": code,
                        }
                    ]
                },
            }
        ]
    }
