"""Normalized Passport values in OneRoster 1.1's vocabulary, as polars expressions."""

from __future__ import annotations

from typing import Final

import polars as pl

# Passport stores grades in their long spelling (formats.GRADE); OneRoster uses CEDS codes.
CEDS_GRADE: Final = {
    "InfantToddler": "IT",
    "Preschool": "PR",
    "PreKindergarten": "PK",
    "TransitionalKindergarten": "TK",
    "Kindergarten": "KG",
    **{str(n): f"{n:02d}" for n in range(1, 14)},
    "PostGraduate": "PS",
    "Ungraded": "UG",
    "Other": "Other",
}
# OneRoster 1.1 lists male and female; nonbinary (X) is written "other", the token OneRoster
# 1.2 added for it.
SEX: Final = {"M": "male", "F": "female", "X": "other"}
BOOL: Final = {"Y": "true", "N": "false"}
# Passport race codes → the OneRoster race flag that is "true" for it (the others "false")
RACE_FLAGS: Final = {
    "I": "americanIndianOrAlaskaNative",
    "A": "asian",
    "B": "blackOrAfricanAmerican",
    "P": "nativeHawaiianOrOtherPacificIslander",
    "W": "white",
    "M": "demographicRaceTwoOrMoreRaces",
}
# order of CEDS codes, for sorting lists of grades
GRADE_ORDER: Final = {code: n for n, code in enumerate(CEDS_GRADE.values())}


def _replace(values: pl.Expr, table: dict[str, str]) -> pl.Expr:
    return values.replace_strict(
        list(table), list(table.values()), default=None, return_dtype=pl.String
    )


def ceds_grade(grades: pl.Expr) -> pl.Expr:
    """A Passport grade as its CEDS code (null when not given)."""
    return _replace(grades, CEDS_GRADE)


def sex(genders: pl.Expr) -> pl.Expr:
    """A Passport gender (M/F/X) as OneRoster sex."""
    return _replace(genders, SEX)


def boolean(yes_no: pl.Expr) -> pl.Expr:
    """A Passport Y/N as OneRoster "true"/"false"."""
    return _replace(yes_no, BOOL)


def race_flag(races: pl.Expr, code: str) -> pl.Expr:
    """ "true" when the race is `code`, "false" when it is another, null when not given."""
    return pl.when(races.is_not_null()).then(
        pl.when(races == code).then(pl.lit("true")).otherwise(pl.lit("false"))
    )


def listed(values: pl.Expr) -> pl.Expr:
    """A one-item list of the value, or an empty list when it is missing."""
    return (
        pl.when(values.is_not_null())
        .then(pl.concat_list(values))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )


def school_year(dates: pl.Expr) -> pl.Expr:
    """The school year (July 1 to June 30, named by the year it ends) of an ISO date."""
    year = dates.str.slice(0, 4).cast(pl.Int32, strict=False)
    month = dates.str.slice(5, 2).cast(pl.Int32, strict=False)
    return (year + (month >= 7).cast(pl.Int32)).cast(pl.String)


def split_list(text: pl.Expr) -> pl.Expr:
    """A OneRoster CSV list ("a,b, c") as a list of its non-empty, trimmed items."""
    items = text.str.split(",").list.eval(pl.element().str.strip_chars())
    return items.list.eval(pl.element().filter(pl.element().str.len_chars() > 0)).fill_null(
        pl.lit([], dtype=pl.List(pl.String))
    )
