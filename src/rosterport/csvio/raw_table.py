"""The `RawTable` of a parse: the records frame with one chunk per column, its blank rows
dropped one column at a time (the file is never held twice)."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from rosterport.csvio import problems
from rosterport.domain.inputs import FIELDS, ROW, FileProblem, RawTable, position


def one_chunk_each(columns: list[pl.Series]) -> pl.DataFrame:
    """The columns as a frame, each in one chunk (later selects and filters never realign
    chunks), rechunked one at a time: the old chunks of a column are freed before the next
    is copied, so the file is never held twice (a whole-frame rechunk would)."""
    for i, column in enumerate(columns):
        columns[i] = column.rechunk()
        del column
    return pl.DataFrame(columns)


def _drain(columns: list[pl.Series]) -> Iterator[pl.Series]:
    """The columns, each taken out of the list as it is handed over (so it can be freed as
    soon as the caller replaced it)."""
    columns.reverse()
    while columns:
        yield columns.pop()


def finish(name: str, header: list[str], holder: list[pl.DataFrame]) -> RawTable | FileProblem:
    """Drop blank rows (every cell empty or only spaces and tabs, as the validator reads a
    missing value) from the frame `holder` holds (taken out of it, so that its columns can
    be freed as they are copied); a file with no records left is empty.

    Only rows whose first field is blank can be blank rows, so the full test runs on those.
    """
    frame = holder.pop()
    width = len(header)
    first = pl.col(position(0))
    blank_first = (
        (first.str.len_bytes() == 0) | first.str.starts_with(" ") | first.str.starts_with("\t")
        if width
        else pl.lit(value=True)
    )
    suspects = frame.filter(blank_first & (pl.col(FIELDS) <= width))
    if suspects.height:
        values = [pl.col(position(i)).str.strip_chars(" \t") != "" for i in range(width)]
        blank = suspects.filter(~pl.any_horizontal(values)) if values else suspects
        blanks = blank.height
        if blanks:  # one column at a time: the file is never held twice
            keep = ~frame.get_column(ROW).is_in(blank.get_column(ROW).implode())
            columns = frame.get_columns()
            del frame
            frame = one_chunk_each([column.filter(keep) for column in _drain(columns)])
    else:
        blanks = 0
    if frame.height == 0:
        return problems.empty(name, header_only=True)
    return RawTable(name, tuple(header), frame, blank_rows=blanks)
