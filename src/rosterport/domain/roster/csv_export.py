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

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from rosterport.domain.roster.objects import (
    COLLECTIONS,
    DEMOGRAPHIC_FIELDS,
    FIELDS,
    INDEX,
    Field,
)
from rosterport.domain.schemas.oneroster import ONEROSTER_11
from rosterport.errors import InputError

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
ZIP_NAME: Final = "oneroster.zip"  # the name of a zipped set
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


# The objects are read with regular expressions on their JSON text, not a JSON parser:
# polars' json_decode takes ~20 µs an object, which would be minutes at 8M enrollments.
# This is exact for the text objects.build writes: keys in a known order, no whitespace,
# GUIDRefs `{"href","sourcedId","type"}`, userIds `{"type","identifier"}`, every value a
# string. A quote inside a string is always escaped, so `"key":` can only be a key. Strings
# with escapes (a backslash in the extracted text) are decoded with the json module, row by
# row (they are rare).
_STR = r'(?:[^"\\]|\\.)*'  # the inside of a JSON string


def _guidref(group: str) -> str:
    return r'\{"href":"[^"]*","sourcedId":"' + f"({group}{_STR})" + r'","type":"[^"]*"\}'


def _user_id(group: str) -> str:
    inside = f"({group}{_STR})"
    return r'\{"type":"' + inside + r'","identifier":"' + inside + r'"\}'


_GUIDREF = _guidref("")
_USER_ID = _user_id("")
_ITEMS = {"refs": _guidref("?:"), "list": f'"{_STR}"', "userIds": _user_id("?:")}


def _value_pattern(field: Field) -> str:
    """The JSON text of one field's value (its first group: what the CSV needs)."""
    if field.name == "metadata":
        return r'\{((?:"' + _STR + r'":"' + _STR + r'",?)*)\}'
    if field.kind == "ref":
        return _GUIDREF
    if field.kind == "refs":
        return r"\[((?:" + _ITEMS["refs"] + r",?)*)\]"
    if field.kind == "list":
        item = _ITEMS["userIds"] if field.name == "userIds" else _ITEMS["list"]
        return r"\[((?:" + item + r",?)*)\]"
    return f'"({_STR})"'


# keys that also occur inside nested values, per collection: those nested values are
# removed from the text the collection's plain values are read from
_NESTED: Final[Mapping[str, tuple[str, ...]]] = {
    "users": (
        r'"metadata":\{(?:"' + _STR + r'":"' + _STR + r'",?)*\},?',
        r'"userIds":\[(?:' + _ITEMS["userIds"] + r",?)*\],?",
    ),
    "orgs": (_ITEMS["refs"],),
    "academicSessions": (_ITEMS["refs"],),
}
_FIELDS_BY_NAME: Final = {c: {f.name: f for f in fields} for c, fields in FIELDS.items()}


def _raw(collection: str, name: str) -> pl.Expr:
    """The raw JSON text of one field (a string's inside, an array's items), one regular
    expression over the objects' text."""
    field = _FIELDS_BY_NAME[collection][name]
    text = pl.col("json")
    if field.kind == "value" and name != "metadata":
        for nested in _NESTED.get(collection, ()):
            text = text.str.replace_all(nested, "")
    return text.str.extract(f'"{name}":' + _value_pattern(field), 1)


def _joined(raw: pl.Expr, how: str) -> pl.Expr:
    """An array's items as one comma-separated cell (no items: empty)."""
    pattern, into = {
        "refs": (_GUIDREF, "${1}"),
        "list": (f'"({_STR})"', "${1}"),
        "userIds": (_USER_ID, "{${1}:${2}}"),
    }[how]
    return pl.when(raw.str.len_bytes() > 0).then(raw.str.replace_all(pattern, into))


def _decoded(raw: str, how: str) -> str | None:
    """A raw text holding escapes, decoded (the rare rows `_joined` cannot do alone)."""
    if how in ("value", "ref"):
        text: str = json.loads(f'"{raw}"')
        return text
    items = json.loads(f"[{raw}]")
    if not items:
        return None
    if how == "userIds":
        return ",".join(f"{{{i['type']}:{i['identifier']}}}" for i in items)
    if how == "refs":
        return ",".join(i["sourcedId"] for i in items)
    return ",".join(items)


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

    `objects`: `sourcedId`, `status`, `dateLastModified` (aware UTC datetime) and `json`,
    optionally index columns of objects.INDEX (read instead of the JSON where they copy a
    field).
    bulk: tombstones are left out and status/dateLastModified are empty; delta: every object
    given, with its status and date. Where the roster holds what OneRoster 1.1 CSV cannot:
    a class without a term (termSourcedIds is required) is left out, with its enrollments
    (`classes_left_out`: the classes left out so far); a `sex` outside male/female (Passport's
    nonbinary, which the API writes `other`, the 1.2 token) is written empty."""
    if kind not in (BULK, DELTA):
        raise InputError(f"export kind {kind!r}: bulk or delta")
    if kind == BULK:
        objects = objects.filter(pl.col("status") != TOBEDELETED)
    fields = {
        name: (field, how) for name, (field, how) in _COLUMNS[collection].items() if how != "none"
    }
    for key in METADATA.get(collection, ()):
        fields[f"metadata.{key}"] = (key, "metadata")
    # index columns the store keeps beside the JSON (objects.INDEX): the same values, read
    # without a regular expression (a reference's column holds its sourcedId)
    indexed = {
        name
        for name in INDEX[collection]
        if name in objects.columns
        and name in _FIELDS_BY_NAME[collection]
        and _FIELDS_BY_NAME[collection][name].kind in ("value", "ref")
    }
    raws = objects.select(
        pl.col("sourcedId").cast(_T),
        pl.col("status").cast(_T),
        pl.col("dateLastModified"),
        *(
            (
                _raw(collection, "metadata").str.extract(f'(?:^|,)"{field}":"({_STR})"', 1)
                if how == "metadata"
                else pl.col(field).cast(_T)
                if field in indexed
                else _raw(collection, field)
            ).alias(name)
            for name, (field, how) in fields.items()
        ),
    )
    if kind == BULK:
        status = pl.lit(None, _T)
        modified = pl.lit(None, _T)
    else:
        status = pl.col("status")
        modified = pl.col("dateLastModified").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    cells: dict[str, pl.Expr] = {
        "sourcedId": pl.col("sourcedId"),
        "status": status,
        "dateLastModified": modified,
        "password": pl.lit(None, _T),  # a secret: never exported
    }
    for name, (_, how) in fields.items():
        column = pl.col(name)
        cells[name] = _joined(column, how) if how in ("refs", "list", "userIds") else column
    decoded = raws.select(cells[name].cast(_T).alias(name) for name in header(collection))
    decoded = _with_escapes_decoded(decoded, raws, fields)
    if collection == "demographics":
        decoded = decoded.with_columns(
            pl.when(pl.col("sex").is_in(SEXES)).then(pl.col("sex")).alias("sex")
        )
    frame = decoded
    dropped = pl.lit(False)
    if collection == "classes":
        dropped = pl.col("termSourcedIds").is_null()
    elif collection == "enrollments" and classes_left_out is not None and classes_left_out.len():
        dropped = pl.col("classSourcedId").is_in(classes_left_out.implode())
    left_out = frame.filter(dropped).get_column("sourcedId")
    return Rows(frame.filter(~dropped), left_out)


def _with_escapes_decoded(
    cells: pl.DataFrame, raws: pl.DataFrame, fields: Mapping[str, tuple[str, str]]
) -> pl.DataFrame:
    """`cells` with the values whose raw text holds an escape decoded by the json module."""
    fixed = []
    for name, (_, how) in fields.items():
        raw = raws.get_column(name)
        escaped = raw.str.contains("\\", literal=True).fill_null(False)
        if not escaped.any():
            continue
        where = escaped.arg_true()
        kind = "value" if how == "metadata" else how
        values = [_decoded(r, kind) for r in raw.gather(where).to_list()]
        fixed.append(cells.get_column(name).scatter(where, pl.Series(values, dtype=_T)))
    return cells.with_columns(fixed) if fixed else cells


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
