"""The careful parser: RFC 4180 with Python's `csv` module, for the files the fast path
refuses or cannot count (stray quotes inside unquoted fields, CRs inside quotes). Exact,
lenient with stray quotes, slower; it says on which row quoting breaks."""

from __future__ import annotations

import csv
import io

import polars as pl

from rosterport.csvio import problems
from rosterport.csvio.raw_table import finish
from rosterport.domain.inputs import FIELDS, MAX_COLUMNS, ROW, FileProblem, RawTable, position

_CSV_FIELD_LIMIT = 1 << 24


def read_careful(name: str, data: bytes) -> RawTable | FileProblem:
    """RFC 4180 parse with Python's csv module: exact, lenient with stray quotes, slower."""
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        first = next(reader, None)
        if first is not None and len(first) > MAX_COLUMNS:
            return problems.too_wide(name, len(first))
        rows.extend(() if first is None else (first,))
        rows.extend(reader)
    except csv.Error as error:
        return problems.broken_quoting(name, len(rows) + 1, error)
    if not rows:
        return problems.empty(name, header_only=False)
    header = [cell.strip() for cell in rows[0]]
    if not any(header):
        return problems.no_header(name)
    width = len(header)
    body = rows[1:]
    columns = {position(i): [row[i] if i < len(row) else "" for row in body] for i in range(width)}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String)).with_columns(
        pl.Series(ROW, range(2, len(body) + 2), dtype=pl.UInt32),
        pl.Series(FIELDS, [len(row) for row in body], dtype=pl.UInt32),
    )
    holder = [frame]
    del frame
    return finish(name, header, holder)
