"""The canonical roster as OneRoster 1.1 CSV files (spec/oneroster-1.1.md), for SFTP export.

Pure and columnar: objects as the roster store holds them (`sourcedId`, `status`,
`dateLastModified`, `json`: the object without status and date) in, per file a frame of
text columns in the standard's header order out; the caller writes them (`write_csv`).

- Headers: exactly the oneroster-1.1 model's columns, in order (the full header, even for
  columns without values), then `metadata.*` columns to the right where the roster has
  metadata (`users.metadata.role` of passport-identity staff).
- Values: references as the sourcedIds they point at, lists (GUIDRef lists, grades,
  subjects, periods) as one comma-separated cell, `userIds` as `{type:identifier}` items;
  dates as the roster holds them (ISO `YYYY-MM-DD`), `dateLastModified` as ISO 8601 UTC with
  milliseconds and `Z`, as the REST API writes it.
- bulk: `status` and `dateLastModified` empty, tombstones left out (the file is the set).
  delta: only the objects given (the caller selects those changed since the last delivered
  version), each with its `status` (`active` or `tobedeleted`) and `dateLastModified`.
- `password` is always empty: secrets are never exported.
- A file without rows is marked `absent` in the manifest and not written (a header-only file
  is `empty-file`, blocking); the gradebook and resource files are always absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from rosterport.domain.roster.objects import COLLECTIONS, DEMOGRAPHIC_FIELDS
from rosterport.domain.schemas.oneroster import ONEROSTER_11

BULK: Final = "bulk"
DELTA: Final = "delta"
ABSENT: Final = "absent"
FULL: Final = "full"  # every roster file
USERS_AND_ORGS: Final = "users-orgs"  # orgs.csv and users.csv only
FILE_SETS: Final[Mapping[str, tuple[str, ...]]] = {
    FULL: COLLECTIONS,
    USERS_AND_ORGS: ("orgs", "users"),
}
ALL_FILES: Final = tuple(f.name for f in ONEROSTER_11.files)  # the 13 data files, in order
MANIFEST: Final = "manifest.csv"
ACTIVE: Final = "active"
TOBEDELETED: Final = "tobedeleted"

# metadata keys the canonical roster may carry, per collection (written as metadata.<key>)
METADATA: Final[Mapping[str, tuple[str, ...]]] = {"users": ("role",)}

SEXES: Final = ("male", "female")  # OneRoster 1.1's vocabulary

_T = pl.String()
_REF = pl.Struct({"sourcedId": _T})
_REFS = pl.List(_REF)
_TEXTS = pl.List(_T)
_USER_IDS = pl.List(pl.Struct({"type": _T, "identifier": _T}))

# per collection: CSV column → (JSON field, how it is written)
#   value: the text; ref: a GUIDRef's sourcedId; refs: the GUIDRefs' sourcedIds joined by
#   ","; list: the items joined by ","; userIds: `{type:identifier}` items; none: always empty
_COLUMNS: Final[Mapping[str, Mapping[str, tuple[str, str]]]] = {
    "orgs": {
        "name": ("name", "value"),
        "type": ("type", "value"),
        "identifier": ("identifier", "value"),
        "parentSourcedId": ("parent", "ref"),
    },
    "academicSessions": {
        "title": ("title", "value"),
        "type": ("type", "value"),
        "startDate": ("startDate", "value"),
        "endDate": ("endDate", "value"),
        "parentSourcedId": ("parent", "ref"),
        "schoolYear": ("schoolYear", "value"),
    },
    "courses": {
        "schoolYearSourcedId": ("schoolYear", "ref"),
        "title": ("title", "value"),
        "courseCode": ("courseCode", "value"),
        "grades": ("grades", "list"),
        "orgSourcedId": ("org", "ref"),
        "subjects": ("subjects", "list"),
        "subjectCodes": ("subjectCodes", "list"),
    },
    "classes": {
        "title": ("title", "value"),
        "grades": ("grades", "list"),
        "courseSourcedId": ("course", "ref"),
        "classCode": ("classCode", "value"),
        "classType": ("classType", "value"),
        "location": ("location", "value"),
        "schoolSourcedId": ("school", "ref"),
        "termSourcedIds": ("terms", "refs"),
        "subjects": ("subjects", "list"),
        "subjectCodes": ("subjectCodes", "list"),
        "periods": ("periods", "list"),
    },
    "users": {
        "enabledUser": ("enabledUser", "value"),
        "orgSourcedIds": ("orgs", "refs"),
        "role": ("role", "value"),
        "username": ("username", "value"),
        "userIds": ("userIds", "userIds"),
        "givenName": ("givenName", "value"),
        "familyName": ("familyName", "value"),
        "middleName": ("middleName", "value"),
        "identifier": ("identifier", "value"),
        "email": ("email", "value"),
        "sms": ("sms", "value"),
        "phone": ("phone", "value"),
        "agentSourcedIds": ("agents", "refs"),
        "grades": ("grades", "list"),
        "password": ("", "none"),  # a secret: never exported
    },
    "demographics": {name: (name, "value") for name in DEMOGRAPHIC_FIELDS},
    "enrollments": {
        "classSourcedId": ("class", "ref"),
        "schoolSourcedId": ("school", "ref"),
        "userSourcedId": ("user", "ref"),
        "role": ("role", "value"),
        "primary": ("primary", "value"),
        "beginDate": ("beginDate", "value"),
        "endDate": ("endDate", "value"),
    },
}
_DTYPES: Final = {"value": _T, "ref": _REF, "refs": _REFS, "list": _TEXTS, "userIds": _USER_IDS}


def file_name(collection: str) -> str:
    return f"{collection}.csv"


def header(collection: str) -> list[str]:
    """The CSV header of a collection's file: the standard's columns, then metadata.*."""
    standard = [c.name for c in ONEROSTER_11.file(file_name(collection)).columns]
    return [*standard, *(f"metadata.{key}" for key in METADATA.get(collection, ()))]


def _decoded_dtype(collection: str) -> pl.DataType:
    fields: dict[str, pl.DataType] = {
        name: _DTYPES[how] for name, how in _COLUMNS[collection].values() if how != "none"
    }
    keys = METADATA.get(collection, ())
    if keys:
        fields["metadata"] = pl.Struct(dict.fromkeys(keys, _T))
    return pl.Struct(fields)


def _cell(field: str, how: str) -> pl.Expr:
    column = pl.col("_o").struct.field(field) if how != "none" else pl.lit(None, _T)
    if how == "ref":
        return column.struct.field("sourcedId")
    if how == "refs":
        return _joined(column.list.eval(pl.element().struct.field("sourcedId")))
    if how == "list":
        return _joined(column)
    if how == "userIds":
        return _joined(
            column.list.eval(
                pl.concat_str(
                    pl.lit("{"),
                    pl.element().struct.field("type"),
                    pl.lit(":"),
                    pl.element().struct.field("identifier"),
                    pl.lit("}"),
                )
            )
        )
    return column


def _joined(lists: pl.Expr) -> pl.Expr:
    """Items joined by "," (no items: empty)."""
    return pl.when(lists.list.len() > 0).then(lists.list.join(","))


@dataclass(frozen=True, slots=True)
class Rows:
    """A collection's CSV rows, and the sourcedIds of objects that OneRoster 1.1 CSV cannot
    hold (left out: a class without a term, an enrollment in such a class)."""

    frame: pl.DataFrame
    left_out: pl.Series


def rows(
    collection: str,
    objects: pl.DataFrame,
    *,
    kind: str,
    classes_left_out: pl.Series | None = None,
) -> Rows:
    """The CSV rows (text columns in `header` order) of objects of one collection.

    `objects`: `sourcedId`, `status`, `dateLastModified` (aware UTC datetime) and `json`.
    bulk: tombstones are left out and status/dateLastModified are empty; delta: every object
    given, with its status and date. Where the roster holds what OneRoster 1.1 CSV cannot:
    a class without a term (termSourcedIds is required) is left out, with its enrollments
    (`classes_left_out`: the classes left out so far); a `sex` outside male/female (Passport's
    nonbinary, which the API writes `other`, the 1.2 token) is written empty."""
    if kind not in (BULK, DELTA):
        raise ValueError(f"export kind {kind!r}: bulk or delta")
    if kind == BULK:
        objects = objects.filter(pl.col("status") != TOBEDELETED)
    decoded = objects.select(
        pl.col("sourcedId").cast(_T),
        pl.col("status").cast(_T),
        pl.col("dateLastModified"),
        pl.col("json").str.json_decode(_decoded_dtype(collection)).alias("_o"),
    )
    if kind == BULK:
        status = pl.lit(None, _T)
        modified = pl.lit(None, _T)
    else:
        status = pl.col("status")
        modified = pl.col("dateLastModified").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    cells = {
        "sourcedId": pl.col("sourcedId"),
        "status": status,
        "dateLastModified": modified,
        **{name: _cell(field, how) for name, (field, how) in _COLUMNS[collection].items()},
        **{
            f"metadata.{key}": pl.col("_o").struct.field("metadata").struct.field(key)
            for key in METADATA.get(collection, ())
        },
    }
    if collection == "demographics":
        cells["sex"] = pl.when(cells["sex"].is_in(SEXES)).then(cells["sex"])
    frame = decoded.select(cells[name].cast(_T).alias(name) for name in header(collection))
    dropped = pl.lit(False)
    if collection == "classes":
        dropped = pl.col("termSourcedIds").is_null()
    elif collection == "enrollments" and classes_left_out is not None and classes_left_out.len():
        dropped = pl.col("classSourcedId").is_in(classes_left_out.implode())
    left_out = frame.filter(dropped).get_column("sourcedId")
    return Rows(frame.filter(~dropped), left_out)


def manifest(
    written: Mapping[str, str],
    *,
    system_name: str = "rosterport",
    system_code: str = "",
) -> pl.DataFrame:
    """manifest.csv: `written` (data file name → bulk or delta, for the files with rows);
    every other data file is absent."""
    properties = [
        ("manifest.version", "1.0"),
        ("oneroster.version", "1.1"),
        *((f"file.{name.removesuffix('.csv')}", written.get(name, ABSENT)) for name in ALL_FILES),
        ("source.systemName", system_name),
        ("source.systemCode", system_code),
    ]
    return pl.DataFrame(
        {"propertyName": [p for p, _ in properties], "value": [v for _, v in properties]},
        schema={"propertyName": _T, "value": _T},
    )


def write_order(names: Iterable[str]) -> list[str]:
    """The order in which files of a loose set become visible: the data files first, the
    manifest last (a reader that waits for manifest.csv never sees a partial set)."""
    return sorted(set(names), key=lambda n: (n == MANIFEST, n))
