"""The canonical roster's collections: their OneRoster 1.1 fields, index columns and encoding.

Every mapping (passport.py, identity.py, oneroster.py) produces, per collection, a frame of
*field columns* named after the OneRoster 1.1 JSON fields — plain values, references as the
sourcedIds they point at (String, or List[String] for lists) — plus `sourcedId` and
`schools`. `build` turns it into the delivered frame: the index columns the API filters on
and `json`, the object encoded columnar (`pl.struct(...).struct.json_encode()`), without
`status` and `dateLastModified` (the roster store adds them per version).

Encoding rules, the same for every collection and model:
- fields appear in the order of the OneRoster 1.1 REST binding;
- a field without a value (null) is left out of the object, and so is an optional list
  without items; required lists (`users.orgs`, `classes.terms`) are always written;
- a reference is a GUIDRef `{"href": "/<collection>/<id>", "sourcedId", "type"}`; the href is
  relative (the API puts its base URL in front) and the id is percent-encoded (UTF-8) in it
  where it has characters that a URL path segment cannot hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

import polars as pl

from rosterport.errors import InputError

COLLECTIONS: Final = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "demographics",
)

# GUIDRef `type` of a reference to each collection that references point at
REF_TYPES: Final[Mapping[str, str]] = {
    "orgs": "org",
    "academicSessions": "academicSession",
    "courses": "course",
    "classes": "class",
    "users": "user",
}


@dataclass(frozen=True, slots=True)
class District:
    """The organization itself: the district org of a Passport roster.

    `sourced_id` must be stable (e.g. "district-" + the organization's slug). School ids that
    could be mistaken for it are prefixed (ids.py)."""

    sourced_id: str
    name: str
    identifier: str | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a OneRoster object, in JSON order.

    kind: `value` (a string, or a struct such as `metadata`), `list` (List[String] or a list
    of structs such as `userIds`), `ref` (the sourcedId of an object of `target`), `refs`
    (a List[String] of sourcedIds of `target`). `required` lists are written even when empty.
    """

    name: str
    kind: str = "value"
    target: str = ""
    required: bool = False


def _v(name: str) -> Field:
    return Field(name)


def _list(name: str) -> Field:
    return Field(name, "list")


def _ref(name: str, target: str) -> Field:
    return Field(name, "ref", target)


def _refs(name: str, target: str, *, required: bool = False) -> Field:
    return Field(name, "refs", target, required)


_METADATA = _v("metadata")

# The OneRoster 1.1 REST binding's fields per collection, in its order (status and
# dateLastModified are the store's; password is never delivered and has no field here).
# the demographics object's fields (after metadata), as the REST binding orders them
DEMOGRAPHIC_FIELDS: Final = (
    "birthDate",
    "sex",
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
)

FIELDS: Final[Mapping[str, tuple[Field, ...]]] = {
    "orgs": (
        _METADATA,
        _v("name"),
        _v("type"),
        _v("identifier"),
        _ref("parent", "orgs"),
        _refs("children", "orgs"),
    ),
    "academicSessions": (
        _METADATA,
        _v("title"),
        _v("startDate"),
        _v("endDate"),
        _v("type"),
        _ref("parent", "academicSessions"),
        _refs("children", "academicSessions"),
        _v("schoolYear"),
    ),
    "courses": (
        _METADATA,
        _v("title"),
        _ref("schoolYear", "academicSessions"),
        _v("courseCode"),
        _list("grades"),
        _list("subjects"),
        _ref("org", "orgs"),
        _list("subjectCodes"),
    ),
    "classes": (
        _METADATA,
        _v("title"),
        _v("classCode"),
        _v("classType"),
        _v("location"),
        _list("grades"),
        _list("subjects"),
        _ref("course", "courses"),
        _ref("school", "orgs"),
        _refs("terms", "academicSessions", required=True),
        _list("subjectCodes"),
        _list("periods"),
    ),
    "users": (
        _METADATA,
        _v("username"),
        _list("userIds"),
        _v("enabledUser"),
        _v("givenName"),
        _v("familyName"),
        _v("middleName"),
        _v("role"),
        _v("identifier"),
        _v("email"),
        _v("sms"),
        _v("phone"),
        _refs("agents", "users"),
        _refs("orgs", "orgs", required=True),
        _list("grades"),
    ),
    "enrollments": (
        _METADATA,
        _ref("user", "users"),
        _ref("class", "classes"),
        _ref("school", "orgs"),
        _v("role"),
        _v("primary"),
        _v("beginDate"),
        _v("endDate"),
    ),
    "demographics": (_METADATA, *(_v(name) for name in DEMOGRAPHIC_FIELDS)),
}

TEXT: Final[pl.DataType] = pl.String()
TEXTS: Final[pl.DataType] = pl.List(pl.String)

# Index columns per collection (after sourcedId, json, schools), with the field they copy:
# the sourcedId(s) for references, the value otherwise. academicSessions.school has no field
# in OneRoster 1.1 and is given by the mapping.
INDEX: Final[Mapping[str, Mapping[str, pl.DataType]]] = {
    "orgs": {"type": TEXT},
    "academicSessions": {"type": TEXT, "school": TEXT},
    "courses": {"school": TEXT},
    "classes": {"school": TEXT, "course": TEXT, "terms": TEXTS},
    "users": {
        "role": TEXT,
        "email": TEXT,
        "username": TEXT,
        "givenName": TEXT,
        "familyName": TEXT,
        "identifier": TEXT,
    },
    "enrollments": {"class": TEXT, "user": TEXT, "role": TEXT, "school": TEXT},
    "demographics": {},
}
_INDEX_SOURCE: Final[Mapping[tuple[str, str], str]] = {("courses", "school"): "org"}


CHUNK_ROWS: Final = 500_000  # objects encoded at a time


def columns(collection: str) -> dict[str, pl.DataType]:
    """The delivered frame's columns and types for `collection`, in order."""
    return {"sourcedId": TEXT, "json": TEXT, "schools": TEXTS, **INDEX[collection]}


def empty(collection: str) -> pl.DataFrame:
    """A collection without objects."""
    return pl.DataFrame(schema=columns(collection))


# a character that a URL path segment cannot hold as it is (RFC 3986: not a pchar)
_UNSAFE_IN_PATH: Final = r"[^A-Za-z0-9._~!$&'()*+,;=:@-]"


def _path_segments(ids: pl.Series, element: pl.Expr) -> pl.Expr:
    """`element` (ids among `ids`) as URL path segments: percent-encoded (UTF-8) where they
    have characters a path segment cannot hold. Only those few ids go through Python."""
    unsafe = ids.filter(ids.str.contains(_UNSAFE_IN_PATH)).unique()
    if not unsafe.len():
        return element
    quoted = [quote(i, safe="!$&'()*+,;=:@") for i in unsafe.to_list()]
    return element.replace(unsafe, pl.Series(quoted, dtype=pl.String))


def guid_ref(target: str, ids: pl.Expr, paths: pl.Expr | None = None) -> pl.Expr:
    """The GUIDRef of each id in `ids` (null where the id is null); `paths`: the ids as
    URL path segments (default: the ids, when they need no encoding)."""
    return pl.when(ids.is_not_null()).then(
        pl.struct(
            pl.concat_str(pl.lit(f"/{target}/"), ids if paths is None else paths).alias("href"),
            ids.alias("sourcedId"),
            pl.lit(REF_TYPES[target]).alias("type"),
        )
    )


def guid_refs(target: str, ids: pl.Expr, paths: pl.Expr | None = None) -> pl.Expr:
    """The list of GUIDRefs of each list of ids (`paths`: as for guid_ref, of pl.element())."""
    item = pl.element()
    return ids.list.eval(
        pl.struct(
            pl.concat_str(pl.lit(f"/{target}/"), item if paths is None else paths).alias("href"),
            item.alias("sourcedId"),
            pl.lit(REF_TYPES[target]).alias("type"),
        )
    )


def build(collection: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The delivered frame of `collection` from a frame of field columns.

    `frame` has `sourcedId`, `schools` (List[String], may be absent: empty lists) and any of
    the collection's field columns (absent ones are null); for academicSessions optionally
    `school`. Unknown columns are an error: a misspelt field would silently vanish.
    """
    fields = FIELDS[collection]
    known = {f.name for f in fields} | {"sourcedId", "schools", "school"}
    stray = [c for c in frame.columns if c not in known]
    if stray:
        raise InputError(f"{collection}: no OneRoster field named {', '.join(stray)}")
    if not frame.height:
        return empty(collection)
    parts: list[pl.Expr] = [pl.col("sourcedId")]
    for field in fields:
        if field.name not in frame.columns or _all_null(frame, field):
            if field.required:
                parts.append(pl.lit([], dtype=TEXTS).alias(field.name))
            continue
        parts.append(_encoded(field, frame.get_column(field.name)).alias(field.name))
    # encoded a slice at a time: the structs of one slice are all that is alive at once
    json = pl.concat(
        [
            _json(frame.slice(start, CHUNK_ROWS), parts)
            for start in range(0, frame.height, CHUNK_ROWS)
        ],
        rechunk=False,
    )
    delivered = frame.select(
        pl.col("sourcedId").cast(TEXT),
        _schools(frame),
        *(_index(collection, frame, name, dtype) for name, dtype in INDEX[collection].items()),
    )
    return delivered.insert_column(1, json)


def _json(frame: pl.DataFrame, parts: list[pl.Expr]) -> pl.Series:
    objects = frame.select(parts)
    nullable = any(objects.get_column(c).has_nulls() for c in objects.columns)
    json = objects.select(pl.struct(pl.all()).struct.json_encode().alias("json")).to_series()
    if nullable:
        # A `,"key":null` can only be a field without a value: inside a JSON string every
        # quote is escaped, so a comma is never directly followed by an unescaped quote.
        json = json.str.replace_all(r',"[A-Za-z]+":null', "")
    return json


def _all_null(frame: pl.DataFrame, field: Field) -> bool:
    column = frame.get_column(field.name)
    if column.dtype == pl.Null or column.null_count() == frame.height:
        return True
    if isinstance(column.dtype, pl.List) and not field.required:
        return bool((column.list.len().fill_null(0) == 0).all())
    return False


def _encoded(field: Field, values: pl.Series) -> pl.Expr:
    column = pl.col(field.name)
    if field.kind == "ref":
        return guid_ref(field.target, column, _path_segments(values.drop_nulls(), column))
    if field.kind == "refs":
        paths = _path_segments(values.explode().drop_nulls(), pl.element())
        refs = guid_refs(field.target, column.fill_null(pl.lit([], dtype=TEXTS)), paths)
        return refs if field.required else _optional(refs)
    if field.kind == "list":
        return _optional(column)
    return column


def _optional(lists: pl.Expr) -> pl.Expr:
    """An optional list: null (left out of the object) when it has no items."""
    return pl.when(lists.list.len() > 0).then(lists)


def _schools(frame: pl.DataFrame) -> pl.Expr:
    if "schools" not in frame.columns:
        return pl.lit([], dtype=TEXTS).alias("schools")
    return pl.col("schools").cast(TEXTS).fill_null(pl.lit([], dtype=TEXTS))


def _index(collection: str, frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    source = _INDEX_SOURCE.get((collection, name), name)
    if source not in frame.columns:
        empty_value = pl.lit([], dtype=dtype) if dtype == TEXTS else pl.lit(None, dtype=dtype)
        return empty_value.alias(name)
    value = pl.col(source).cast(dtype)
    if dtype == TEXTS:
        value = value.fill_null(pl.lit([], dtype=TEXTS))
    return value.alias(name)
