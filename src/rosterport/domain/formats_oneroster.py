"""OneRoster 1.1 value formats: case-sensitive, as the standard writes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from rosterport.domain.formats import Format, FormatContext

_EPOCH = date(2000, 1, 1)  # ISO dates need no two-digit-year window
_GUID = r"^[0-9A-Za-z._/@-]{1,255}$"
_GUID_LIST = r"^[0-9A-Za-z._/@-]{1,255}(\s*,\s*[0-9A-Za-z._/@-]{1,255})*$"


def _guid(value: pl.Expr, _: FormatContext) -> pl.Expr:
    return pl.when(value.str.contains(_GUID)).then(value)


def _guid_hint(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.str.contains(r"\s"))
        .then(pl.lit("contains a space"))
        .when(value.str.len_chars() > 255)
        .then(pl.lit("longer than 255 characters"))
    )


GUID = Format(
    "guid",
    "a sourcedId",
    "1–255 characters of 0-9 A-Z a-z . - _ / @",
    _guid,
    _guid_hint,
    suspect=r"[^0-9A-Za-z._/@-]",
    max_bytes=255,
)


def _guid_list(value: pl.Expr, _: FormatContext) -> pl.Expr:
    return pl.when(value.str.contains(_GUID_LIST)).then(value.str.replace_all(r"\s*,\s*", ","))


GUID_LIST = Format(
    "guid-list",
    "a list of sourcedIds",
    "sourcedIds separated by commas, inside one quoted cell",
    _guid_list,
)


def _string(value: pl.Expr, _: FormatContext) -> pl.Expr:
    return pl.when(~value.str.contains("\r", literal=True)).then(value)


STRING = Format("string", "a string", "text without carriage returns", _string, suspect="\r")
SECRET_STRING = Format("secret", "a string", "text without carriage returns", _string, secret=True)
LIST = Format("list", "a list", "values separated by commas", _string)


def _iso_date(value: pl.Expr, _: FormatContext) -> pl.Expr:
    parsed = value.str.to_date("%Y-%m-%d", strict=False).dt.to_string("%Y-%m-%d")
    return pl.when(value.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$") & (parsed == value)).then(
        value
    )


def _iso_date_hint(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
        .then(pl.lit("not a real calendar day"))
        .when(value.str.contains(r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}$"))
        .then(pl.lit("OneRoster dates are written YYYY-MM-DD"))
    )


ISO_DATE = Format("date", "a date", "YYYY-MM-DD", _iso_date, _iso_date_hint)

_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$"


def _datetime(value: pl.Expr, _: FormatContext) -> pl.Expr:
    day = _iso_date(value.str.slice(0, 10), FormatContext(today=_EPOCH))
    hour = value.str.slice(11, 2).cast(pl.Int32, strict=False)
    minute = value.str.slice(14, 2).cast(pl.Int32, strict=False)
    second = value.str.slice(17, 2).cast(pl.Int32, strict=False)
    ok = value.str.contains(_DATETIME) & day.is_not_null() & (hour < 24) & (minute < 60)
    return pl.when(ok & (second < 61)).then(value)


def _datetime_hint(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
        .then(pl.lit("a time is needed too, like 2024-01-31T00:00:00Z"))
        .when(~value.str.ends_with("Z"))
        .then(pl.lit("must be UTC, ending in Z"))
    )


DATE_TIME = Format(
    "datetime", "a UTC date and time", "YYYY-MM-DDTHH:MM:SS(.sss)Z", _datetime, _datetime_hint
)


def _year(value: pl.Expr, _: FormatContext) -> pl.Expr:
    return pl.when(value.str.contains(r"^[0-9]{4}$")).then(value)


YEAR = Format("year", "a year", "YYYY", _year)


def _bool(value: pl.Expr, _: FormatContext) -> pl.Expr:
    return pl.when(value.is_in(["true", "false"])).then(value)


def _bool_hint(value: pl.Expr) -> pl.Expr:
    return pl.when(value.str.to_lowercase().is_in(["true", "false"])).then(
        pl.lit("write it in lower case")
    )


BOOL = Format("bool", "true or false", "true or false (lower case)", _bool, _bool_hint)

_FLOAT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def _float(value: pl.Expr, _: FormatContext) -> pl.Expr:
    return pl.when(value.str.contains(_FLOAT)).then(value)


FLOAT = Format("float", "a number", "a decimal number like 12.5", _float)

CEDS_GRADES = (
    "IT",
    "PR",
    "PK",
    "TK",
    "KG",
    *(f"{n:02d}" for n in range(1, 14)),
    "PS",
    "UG",
    "Other",
)
_GRADE_ITEM = "(" + "|".join(CEDS_GRADES) + ")"
_GRADES = rf"^{_GRADE_ITEM}(\s*,\s*{_GRADE_ITEM})*$"


def _grades(value: pl.Expr, _: FormatContext) -> pl.Expr:
    return pl.when(value.str.contains(_GRADES)).then(value.str.replace_all(r"\s*,\s*", ","))


def _grades_hint(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.str.contains(r"(^|,)\s*[1-9]\s*(,|$)"))
        .then(pl.lit("single-digit grades take a leading zero, like 09"))
        .when(value.str.contains(r"(?i)^k$|(^|,)\s*k\s*(,|$)"))
        .then(pl.lit("kindergarten is KG"))
    )


GRADES = Format(
    "grades",
    "a list of grades",
    "CEDS codes like KG, 01 … 12, separated by commas",
    _grades,
    _grades_hint,
)

_USER_IDS = r"^\{[^{}:]+:[^{}]+\}(\s*,\s*\{[^{}:]+:[^{}]+\})*$"


def _user_ids(value: pl.Expr, _: FormatContext) -> pl.Expr:
    return pl.when(value.str.contains(_USER_IDS)).then(value)


USER_IDS = Format(
    "user-ids", "a list of user ids", "{type:id} items separated by commas", _user_ids
)


def enum_format(name: str, tokens: Sequence[str]) -> Format:
    """An exact token; another case gets a hint naming the right token."""
    listed = list(tokens)
    lowered = [t.lower() for t in listed]

    def normalize(value: pl.Expr, _: FormatContext) -> pl.Expr:
        return pl.when(value.is_in(listed)).then(value)

    def hint(value: pl.Expr) -> pl.Expr:
        right = value.str.to_lowercase().replace_strict(
            lowered, listed, default=None, return_dtype=pl.String
        )
        return pl.when(right.is_not_null()).then(pl.format("write it as '{}'", right))

    return Format(name, f"a {name}", ", ".join(listed), normalize, hint, choices=tuple(listed))
