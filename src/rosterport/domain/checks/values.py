"""Required values and value formats, column by column, over whole columns.

Every column is normalized in one `select`; then only the rows with a problem are taken
apart into issues, so message formatting costs nothing for clean rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.formats import FormatContext
from rosterport.domain.issues import INVALID_FORMAT, MALFORMED_ROW, REQUIRED_ATTRIBUTE
from rosterport.domain.policy import Requirement
from rosterport.domain.schemas.model import Column, FileSchema
from rosterport.domain.tables import FIELDS, ROW

_REQUIREMENT_TEXT = {
    Requirement.REPORT: "the application needs it (Report if missing)",
    Requirement.SKIP: "the application needs it, so the record is skipped (Skip if missing)",
}


@dataclass(frozen=True, slots=True)
class ValueCheck:
    """The normalized records and the issues found in their values."""

    normalized: pl.DataFrame
    issues: pl.DataFrame


def check_malformed(frame: pl.DataFrame, width: int, file: str) -> pl.DataFrame:
    """Rows whose field count differs from the header's."""
    bad = frame.filter(pl.col(FIELDS) != width)
    if not bad.height:
        return issueframe.empty()
    return issueframe.conform(
        bad.select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(MALFORMED_ROW.code).alias("code"),
            pl.format(
                "row has {} fields but the header has {}; a value with a comma must be in "
                'double quotes ("Smith, Jr."), and every row needs one field per column',
                pl.col(FIELDS),
                pl.lit(width),
            ).alias("message"),
        )
    )


def check_values(
    schema: FileSchema,
    values: pl.DataFrame,
    context: FormatContext,
    requirements: Mapping[str, Requirement],
    *,
    not_required_rows: pl.Expr | None = None,
) -> ValueCheck:
    """Check and normalize the columns of `values` (ROW + trimmed strings, null when empty).

    `requirements` maps optional column names to a data requirement. `not_required_rows`
    marks rows for which required values are not demanded (OneRoster `tobedeleted`).
    """
    present = [c for c in schema.columns if c.name in values.columns]
    normalized = values.select(
        pl.col(ROW),
        *(c.format.normalize(pl.col(c.name), context).alias(c.name) for c in present),
    )
    demand = pl.lit(value=True) if not_required_rows is None else ~not_required_rows
    flags = []
    for column in present:
        raw = pl.col(column.name)
        norm = pl.col(f"{column.name}__n")
        missing = raw.is_null() & (demand if column.required else column.name in requirements)
        flags.append((missing | (raw.is_not_null() & norm.is_null())).alias(f"{column.name}__bad"))
    joined = pl.concat(
        [
            values.select(pl.col(ROW), *(pl.col(c.name) for c in present)),
            normalized.select(pl.col(c.name).alias(f"{c.name}__n") for c in present),
        ],
        how="horizontal",
    ).with_columns(flags)
    bad_names = [f"{c.name}__bad" for c in present]
    suspects = joined.filter(pl.any_horizontal(bad_names)) if bad_names else joined.clear()
    issues = [
        _column_issues(schema.name, column, suspects, requirements.get(column.name))
        for column in present
        if suspects.height and suspects.get_column(f"{column.name}__bad").any()
    ]
    return ValueCheck(normalized, issueframe.concat(issues))


def _column_issues(
    file: str,
    column: Column,
    suspects: pl.DataFrame,
    requirement: Requirement | None,
) -> pl.DataFrame:
    rows = suspects.filter(pl.col(f"{column.name}__bad"))
    raw = pl.col(column.name)
    shown = pl.lit(issueframe.MASK) if column.secret else raw
    fmt = column.format
    hint = fmt.hint(raw) if fmt.hint else pl.lit(None, dtype=pl.String)
    invalid_message = pl.format(
        "{} '{}' is not {}; expected {}{}",
        pl.lit(column.name),
        shown,
        pl.lit(fmt.expected),
        pl.lit(fmt.accepted),
        pl.when(hint.is_not_null()).then(pl.lit(" (") + hint + pl.lit(")")).otherwise(pl.lit("")),
    )
    if column.required:
        missing_message = pl.lit(f"{column.name} is required but empty; fill it in")
        missing_level = pl.lit(None, dtype=pl.String)
    elif requirement is not None:
        missing_message = pl.lit(f"{column.name} is empty; {_REQUIREMENT_TEXT[requirement]}")
        missing_level = pl.lit(requirement.level.value)
    else:  # optional without requirement: only format issues are possible
        missing_message = pl.lit(None, dtype=pl.String)
        missing_level = pl.lit(None, dtype=pl.String)
    is_missing = raw.is_null()
    return issueframe.conform(
        rows.select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(column.name).alias("column"),
            pl.when(is_missing).then(pl.lit(None, dtype=pl.String)).otherwise(shown).alias("value"),
            pl.when(is_missing)
            .then(pl.lit(REQUIRED_ATTRIBUTE.code))
            .otherwise(pl.lit(INVALID_FORMAT.code))
            .alias("code"),
            pl.when(is_missing).then(missing_level).otherwise(pl.lit(None)).alias("level"),
            pl.when(is_missing).then(missing_message).otherwise(invalid_message).alias("message"),
        )
    )
