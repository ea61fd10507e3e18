"""Value formats as columnar polars expressions.

A `Format` turns a column of trimmed, non-empty strings into its normalized form, or null
where the value breaks the format; `hint` adds a specific explanation for common mistakes
("looks like a number reformatted by a spreadsheet", "leading zero lost?"). Both are plain
polars expressions, evaluated over whole columns: no Python function runs per row.

Passport formats are lenient about case and spelling variants and normalize them; OneRoster
formats follow the standard and are case-sensitive (spec/oneroster-1.1.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

Normalizer = Callable[[pl.Expr, "FormatContext"], pl.Expr]
Hinter = Callable[[pl.Expr], pl.Expr]


@dataclass(frozen=True, slots=True)
class FormatContext:
    """What formats may depend on: today's date, for the two-digit year window."""

    today: date


@dataclass(frozen=True, slots=True)
class Format:
    """One value format: what it accepts, how it normalizes, how it explains a mistake."""

    name: str
    expected: str  # noun phrase for messages: "a date"
    accepted: str  # what is accepted: "MM/DD/YYYY, M/D/YY or YYYY-MM-DD"
    normalize: Normalizer
    hint: Hinter | None = None
    secret: bool = False
    choices: tuple[str, ...] = field(default=())
    # For formats that store values as given: a regex matching every value that may be
    # invalid. Values it does not match are valid as they are, so only the (rare) matches go
    # through `normalize`. None: every value is normalized.
    suspect: str | None = None
    # The other way round: a regex that only valid values, already normalized and without
    # surrounding spaces, match in full; values it does not match go through `normalize`.
    clean: str | None = None
    max_bytes: int | None = None  # values longer than this (in bytes) are suspect too
    # spellings (lower case) that mean "not given": read as an empty cell, never an issue
    blanks: tuple[str, ...] = field(default=())

    @property
    def screened(self) -> bool:
        """Whether most values can skip `normalize` (they are stored as given)."""
        return self.suspect is not None or self.clean is not None


def _no_hint(_: pl.Expr) -> pl.Expr:
    return pl.lit(None, dtype=pl.String)


def _when_matches(pattern: str) -> Normalizer:
    def normalize(value: pl.Expr, _: FormatContext) -> pl.Expr:
        return pl.when(value.str.contains(pattern)).then(value)

    return normalize


_CONTROL = r"[\x00-\x08\x0a-\x1f\x7f-\x9f]"  # C0 (but tab), DEL, C1


def _text(value: pl.Expr, _: FormatContext) -> pl.Expr:
    return pl.when(~value.str.contains(_CONTROL)).then(value)


TEXT = Format("text", "text", "text without control characters", _text, suspect=_CONTROL)
SECRET = Format(
    "secret", "text", "text without control characters", _text, secret=True, suspect=_CONTROL
)


def _id(value: pl.Expr, _: FormatContext) -> pl.Expr:
    ok = ~value.str.contains(r"[\x00-\x1f\x7f-\x9f]") & (value.str.len_chars() <= 255)
    return pl.when(ok & ~value.str.contains(_SCIENTIFIC)).then(value)


_SCIENTIFIC = r"^[0-9]+(\.[0-9]+)?[Ee]\+[0-9]+$"


def _id_hint(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.str.contains(_SCIENTIFIC))
        .then(pl.lit("looks like a number reformatted by a spreadsheet; format the column as Text"))
        .when(value.str.len_chars() > 255)
        .then(pl.lit("longer than 255 characters"))
    )


ID = Format(
    "id",
    "an identifier",
    "1–255 characters without control characters",
    _id,
    _id_hint,
    suspect=r"[\x00-\x1f\x7f-\x9f]|[Ee]\+",
    max_bytes=255,
)


_DATE_SHAPE = r"^([0-9]{1,2}/[0-9]{1,2}/([0-9]{2}|[0-9]{4})|[0-9]{4}-[0-9]{2}-[0-9]{2})$"


def _date(value: pl.Expr, ctx: FormatContext) -> pl.Expr:
    """US dates (M/D/YY, M/D/YYYY, MM/DD/YYYY) and ISO dates → ISO text; null when not a
    real calendar day. Two-digit years fall in the window [today − 80 y, today + 20 y)."""
    four_digit = value.str.to_date("%m/%d/%Y", strict=False)
    four_digit = pl.when(four_digit.dt.year().is_between(1000, 9999)).then(four_digit)
    # chrono reads %y as 1969–2068; the window is 100 years too, so at most one century moves.
    short = value.str.to_date("%m/%d/%y", strict=False)
    upper = _years_later(ctx.today, 20)
    lower = _years_later(ctx.today, -80)
    two_digit = (
        pl.when(short >= upper)
        .then(short.dt.offset_by("-100y"))
        .when(short < lower)
        .then(short.dt.offset_by("100y"))
        .otherwise(short)
    )
    us = pl.when(value.str.contains(r"/[0-9]{2}$")).then(two_digit).otherwise(four_digit)
    iso = value.str.to_date("%Y-%m-%d", strict=False)
    # chrono alone also takes 2010-1-5, 1/ 2/2010 and -2010-01-01: only the listed shapes pass.
    shaped = value.str.contains(_DATE_SHAPE)
    return pl.when(shaped).then(pl.coalesce(us, iso)).dt.to_string("%Y-%m-%d")


def _years_later(day: date, years: int) -> date:
    """The same calendar day `years` later (Feb 29 becomes Feb 28 in common years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _date_hint(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.str.contains(r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}$|^[0-9]{4}-[0-9]{2}-"))
        .then(pl.lit("not a real calendar day"))
        .when(value.str.contains(r"^[0-9]{1,2}[.-][0-9]{1,2}[.-][0-9]{2,4}$"))
        .then(pl.lit("use / between month, day and year"))
    )


DATE = Format("date", "a date", "MM/DD/YYYY, M/D/YY or YYYY-MM-DD", _date, _date_hint)

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"


def _email(value: pl.Expr, _: FormatContext) -> pl.Expr:
    ok = value.str.contains(_EMAIL) & (value.str.len_chars() <= 254)
    local = value.str.extract(r"^(.*)@", 1)
    domain = value.str.extract(r"@(.*)$", 1).str.to_lowercase()
    return pl.when(ok).then(pl.format("{}@{}", local, domain))


def _email_hint(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.str.contains(r"\s"))
        .then(pl.lit("contains a space"))
        .when(value.str.count_matches("@", literal=True) != 1)
        .then(pl.lit("needs exactly one @"))
        .when(~value.str.contains(r"@[^@]*\.[^@.]+$"))
        .then(pl.lit("the domain after @ needs a dot"))
    )


EMAIL = Format(
    "email",
    "an e-mail address",
    "local@domain.tld",
    _email,
    _email_hint,
    # valid, domain already in lower case (É and Ω too, not only A–Z)
    clean=r"^[^@\s]+@[^@\s\p{Changes_When_Lowercased}]+\.[^@\s.\p{Changes_When_Lowercased}]+$",
    max_bytes=254,
)


def mapping_format(
    name: str,
    expected: str,
    table: Mapping[str, str],
    *,
    accepted: str | None = None,
    blanks: tuple[str, ...] = (),
) -> Format:
    """A case-insensitive vocabulary: each accepted spelling (lower case) → its stored form;
    `blanks` are spellings that mean "not given"."""
    keys = list(table)
    values = [table[k] for k in keys]

    def normalize(value: pl.Expr, _: FormatContext) -> pl.Expr:
        return value.str.to_lowercase().replace_strict(
            keys, values, default=None, return_dtype=pl.String
        )

    shown = accepted or ", ".join(dict.fromkeys(table.values()))
    stored = tuple(dict.fromkeys(values))
    clean = "^(?:" + "|".join(re.escape(v) for v in stored) + ")$"  # already the stored form
    return Format(name, expected, shown, normalize, choices=stored, clean=clean, blanks=blanks)


_GRADE_NAMES = [
    "InfantToddler",
    "Preschool",
    "PreKindergarten",
    "TransitionalKindergarten",
    "Kindergarten",
    *[str(n) for n in range(1, 14)],
    "PostGraduate",
    "Ungraded",
    "Other",
]
_GRADES: dict[str, str] = {g.lower(): g for g in _GRADE_NAMES}
_GRADES.update(
    {
        "it": "InfantToddler",
        "pr": "Preschool",
        "pk": "PreKindergarten",
        "tk": "TransitionalKindergarten",
        "kg": "Kindergarten",
        "k": "Kindergarten",
        "0": "Kindergarten",
        "ps": "PostGraduate",
        "ug": "Ungraded",
        **{f"{n:02d}": str(n) for n in range(1, 14)},
    }
)
GRADE = mapping_format(
    "grade",
    "a grade",
    _GRADES,
    accepted="Kindergarten, K, 1–13, PreKindergarten, PK, Ungraded, Other (or a CEDS code)",
)
GENDER = mapping_format(
    "gender",
    "a gender",
    {"m": "M", "f": "F", "x": "X", "male": "M", "female": "F", "nonbinary": "X"},
    accepted="M, F, X (or male, female, nonbinary)",
)
YES_NO = mapping_format(
    "yn",
    "Y or N",
    {"y": "Y", "n": "N", "yes": "Y", "no": "N", "true": "Y", "false": "N"},
    accepted="Y or N (or yes, no, true, false)",
)
RACE = mapping_format(
    "race",
    "a race code",
    {
        **{c.lower(): c for c in "ABIMPW"},
        "asian": "A",
        "black or african american": "B",
        "black": "B",
        "african american": "B",
        "american indian": "I",
        "american indian or alaska native": "I",
        "two or more races": "M",
        "multiracial": "M",
        "hawaiian or other pacific islander": "P",
        "native hawaiian or other pacific islander": "P",
        "white": "W",
        "caucasian": "W",
    },
    accepted=(
        "A, B, I, M, P, W (or Asian, Black or African American, American Indian or Alaska "
        "Native, Two or More Races, Native Hawaiian or Other Pacific Islander, White; "
        "Unknown or Declined to state for not given)"
    ),
    blanks=("unknown", "declined to state"),
)
FRL = mapping_format(
    "frl",
    "a lunch status",
    {"f": "F", "r": "R", "p": "P", "n": "N", "free": "F", "reduced": "R", "paid": "P"},
    accepted="F, R, P, N (or Free, Reduced, Paid)",
)
_SUBJECTS = [
    "English/language arts",
    "Math",
    "Science",
    "Social studies",
    "Language",
    "Homeroom/advisory",
    "Interventions/online learning",
    "Technology and engineering",
    "PE and health",
    "Arts and music",
    "other",
]
SUBJECT = mapping_format("subject", "a subject", {s.lower(): s for s in _SUBJECTS})


def _upper_when(pattern: str) -> Normalizer:
    def normalize(value: pl.Expr, _: FormatContext) -> pl.Expr:
        return pl.when(value.str.contains(pattern)).then(value.str.to_uppercase())

    return normalize


STATE = Format(
    "state",
    "a state code",
    "two letters, like NY",
    _upper_when(r"^[A-Za-z]{2}$"),
    clean=r"^[A-Z]{2}$",
)


def _zip_hint(value: pl.Expr) -> pl.Expr:
    return pl.when(value.str.contains(r"^[0-9]{4}$")).then(
        pl.lit("leading zero lost? format the column as Text")
    )


ZIP = Format(
    "zip",
    "a ZIP code",
    "12345 or 12345-6789",
    _when_matches(r"^[0-9]{5}(-[0-9]{4})?$"),
    _zip_hint,
)


def _year(value: pl.Expr, _: FormatContext) -> pl.Expr:
    number = value.str.extract(r"^([0-9]{4})$", 1).cast(pl.Int32)
    return pl.when((number >= 1900) & (number <= 2100)).then(value)


YEAR = Format(
    "year", "a year", "YYYY between 1900 and 2100", _year, clean=r"^(?:19[0-9]{2}|20[0-9]{2}|2100)$"
)


def choice_format(name: str, expected: str, choices: Sequence[str]) -> Format:
    """A case-insensitive choice stored in the spelling given here (e.g. staff Role)."""
    return mapping_format(name, expected, {c.lower(): c for c in choices})
