"""The downloadable CSV error report: `file,row,column,value,code,level,message`.

Cells that begin with `=`, `+`, `-`, `@`, tab or carriage return get a leading `'` so a
spreadsheet does not run them as formulas. Secret values are already masked by the checks.

The report is written a batch of issues at a time (`csv_chunks`): from a report in memory
or from the issue file an upload keeps (`issue_file`), never all rows at once.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import BinaryIO

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


def csv_chunks(batches: Iterable[pl.DataFrame], *, bom: bool = True) -> Iterator[bytes]:
    """The CSV report of issue batches (the contract's columns), header row first: UTF-8
    with a BOM, so that Excel shows •••• and accents right (`bom=False` for a pipe, where a
    BOM would get in the way)."""
    header = ",".join(ISSUE_COLUMNS) + "\n"
    yield (UTF8_BOM if bom else b"") + header.encode()
    for batch in batches:
        if batch.height:
            buffer = io.BytesIO()  # (polars writes to a buffer much faster than to a str)
            batch.select(defuse(c) for c in ISSUE_COLUMNS).write_csv(
                buffer, include_header=False, null_value=""
            )
            yield buffer.getvalue()


def write_report_csv(out: BinaryIO, report: Report, *, bom: bool = True) -> None:
    """Write the report as CSV to `out`, a batch at a time."""
    for chunk in csv_chunks(report.batches(), bom=bom):
        out.write(chunk)


def report_csv(report: Report, *, bom: bool = True) -> bytes:
    """The report as CSV bytes, all at once (small reports; `write_report_csv` streams)."""
    return b"".join(csv_chunks(report.batches(), bom=bom))
