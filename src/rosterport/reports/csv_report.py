"""The downloadable CSV error report: `file,row,column,value,code,level,message`.

Cells that begin with `=`, `+`, `-`, `@`, tab or carriage return get a leading `'` so a
spreadsheet does not run them as formulas. Secret values are already masked by the checks.
"""

from __future__ import annotations

import polars as pl

from rosterport.domain.checks.issueframe import ISSUE_COLUMNS
from rosterport.domain.report import Report

UTF8_BOM = b"\xef\xbb\xbf"
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


def report_csv(report: Report, *, bom: bool = True) -> bytes:
    """The report as CSV bytes, header row first: UTF-8 with a BOM, so that Excel shows ••••
    and accents right (`bom=False` for a pipe, where a BOM would get in the way)."""
    issues = report.sorted_issues()
    safe = issues.select(defuse(c) for c in ISSUE_COLUMNS)
    return (UTF8_BOM if bom else b"") + safe.write_csv(null_value="").encode("utf-8")
