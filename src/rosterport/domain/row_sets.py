"""Records picked by their spreadsheet row number (`ROW`): whether a row is one of a set,
and a frame less some rows. Row numbers are small integers, so a set of them is a table of
flags indexed by row number."""

from __future__ import annotations

import polars as pl

from rosterport.domain.inputs import ROW


def without(frame: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """`frame` less the rows whose ROW is in `rows` (order kept)."""
    if not rows.height:
        return frame
    return frame.filter(~in_rows(rows.get_column(ROW)))


def in_rows(rows: pl.Series, column: str = ROW) -> pl.Expr:
    """Whether `column` (spreadsheet row numbers) is one of `rows`.

    Row numbers are small integers (at most the file's line count), so a table of flags
    indexed by row number answers with one gather, several times faster than a hash set of
    millions of rows (`is_in`)."""
    if not rows.len():
        return pl.lit(value=False)
    size = int(rows.max() or 0) + 1  # type: ignore[arg-type]  # max of UInt32 row numbers is an int
    flags = pl.Series(values=[False], dtype=pl.Boolean).extend_constant(False, size - 1)
    flags = flags.scatter(rows.cast(pl.UInt32), True)
    index = pl.col(column).cast(pl.UInt32)
    inside = index < size
    return (
        pl.when(inside)
        .then(pl.lit(flags).gather(index.clip(upper_bound=size - 1)))
        .otherwise(False)
        .fill_null(False)
    )
