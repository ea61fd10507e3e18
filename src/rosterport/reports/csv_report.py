"""The downloadable CSV error report: `file,row,column,value,code,level,message`.

Cells that begin with `=`, `+`, `-`, `@`, tab or carriage return get a leading `'` so a
spreadsheet does not run them as formulas. Secret values are already masked by the checks.
"""

from __future__ import annotations

import polars as pl

from rosterport.domain.checks.issueframe import ISSUE_COLUMNS
from rosterport.domain.report import Report

_FORMULA_START = r"^[=+\-@\t\r]"


def defuse(column: str) -> pl.Expr:
    """The column with formula-looking cells prefixed by `'`."""
    value = pl.col(column).cast(pl.String)
    return (
        pl.when(value.str.contains(_FORMULA_START))
        .then(pl.lit("'") + value)
        .otherwise(value)
        .alias(column)
    )


def report_csv(report: Report) -> bytes:
    """The report as CSV bytes (UTF-8, header row first)."""
    issues = report.sorted_issues()
    safe = issues.select(defuse(c) for c in ISSUE_COLUMNS)
    return safe.write_csv(null_value="").encode("utf-8")
