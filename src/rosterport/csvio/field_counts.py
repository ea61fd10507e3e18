"""The second, cheap columnar pass of the fast path: how many fields each record has, counted
on the physical lines (commas outside quotes, plus one), so that malformed rows can be
reported with their spreadsheet row number. None whenever the lines do not follow the
records polars parsed: the careful parser then reads the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from rosterport.domain.inputs import FIELDS

LINE_SEPARATOR = "\x1f"  # a control character: never valid inside roster values
_QUOTED = r'"[^"]*("|$)'  # a quoted stretch, or an open quote running to the end of line


@dataclass(frozen=True, slots=True)
class Text:
    """What the fast path parses: the file's bytes, or its path (polars then reads the file
    itself and the bytes never sit in memory), with the facts the field counts need."""

    source: bytes | Path
    size: int  # bytes, without a byte-order mark
    quotes: bool  # whether a double quote occurs
    separator: bool  # whether LINE_SEPARATOR occurs
    ends_with_newline: bool

    @classmethod
    def of(cls, data: bytes) -> Text:
        """The facts of text held in memory."""
        separator = LINE_SEPARATOR.encode() in data
        return cls(data, len(data), b'"' in data, separator, data.endswith(b"\n"))


def full_records(records: pl.DataFrame) -> pl.Series | None:
    """Which records of a strict parse have one field per column, proven without reading the
    lines again (None: none is known).

    The strict parse refused any record with more fields than the header; a record with
    fewer reads "" in its last column (the parser fills the fields it lacks). So a record
    whose last value is not empty has exactly one field per column, whatever the quoting;
    only the others need their lines counted.
    """
    if not records.width:
        return None
    return records.get_column(records.columns[-1]).str.len_bytes() > 0


def field_counts(
    text: Text, records: pl.DataFrame, proven: pl.Series | None = None
) -> pl.Series | None:
    """Fields per record from the physical lines: commas outside quotes, plus one.

    Most files have no value spanning lines: then there are as many lines as records, every
    line is the record polars parsed from it, and the commas outside quotes are the line's
    commas less those inside its parsed values (a value holds a comma only when it was
    quoted). One count that streams through the file in bounded memory, and one over the
    values of the records not `proven` (known to have one field per column): no per-line
    regex, whatever the quoting (a file that quotes every value costs the same as one that
    quotes none). That count is exact for a record of at most one field per column; a
    record that is longer lost its last fields to the parser, and their quoted commas with
    them, so its line is counted again the careful way (quoted stretches taken out).
    Otherwise the lines are grouped into records: a line continues the record before it
    while the quotes seen are unbalanced.
    """
    if text.separator:
        return None
    line = pl.col("line")
    quotes = line.str.count_matches('"', literal=True)
    counted = (
        _lines(text.source)
        .select(line.str.count_matches(",", literal=True).cast(pl.UInt32).alias(FIELDS))
        .collect(engine="streaming")
    )
    if counted.height != records.height:  # a value spans lines (or the parses disagree)
        if not text.quotes:
            return None
        lines = _lines(text.source).collect()
        return _field_counts_multiline(lines.with_columns(quotes.alias("q")))
    commas = counted.get_column(FIELDS)
    if not text.quotes:
        return commas + 1
    todo = (
        pl.int_range(records.height, eager=True, dtype=pl.UInt32)
        if proven is None
        else (~proven).arg_true()
    )
    inside = records.select(
        pl.sum_horizontal(pl.all().gather(todo).str.count_matches(",", literal=True))
        .cast(pl.UInt32)
        .alias(FIELDS)
    ).to_series()
    counted_commas = commas.gather(todo)
    if (inside > counted_commas).any():  # the records do not follow the lines: the careful way
        return None
    fields = pl.repeat(records.width, records.height, dtype=pl.UInt32, eager=True).alias(FIELDS)
    fields = fields.scatter(todo, counted_commas - inside + 1)
    longer = (fields > records.width).arg_true()
    if longer.len():
        recount = (
            _lines(text.source)
            .with_row_index("i")
            .filter(pl.col("i").is_in(longer.implode()))
            .select(_outside_commas(line, quotes) + 1)
            .collect(engine="streaming")
            .to_series()
            .cast(pl.UInt32)
        )
        fields = fields.scatter(longer, recount)
    return fields


def _outside_commas(line: pl.Expr, quotes: pl.Expr) -> pl.Expr:
    """Commas outside quoted stretches of a line (no value spanning lines)."""
    return (
        pl.when(quotes == 0)
        .then(line)
        .otherwise(line.str.replace_all(_QUOTED, ""))
        .str.count_matches(",", literal=True)
    )


def _lines(data: bytes | Path) -> pl.LazyFrame:
    """The physical lines of `data` (LF-separated), lazily, as one string column."""
    return pl.scan_csv(
        data,
        has_header=False,
        separator=LINE_SEPARATOR,
        quote_char=None,
        schema={"line": pl.String},
        empty_string_is_null=False,
    )


def _field_counts_multiline(lines: pl.DataFrame) -> pl.Series:
    """The general case: some quoted values span lines, so records are groups of lines."""
    line, quotes = pl.col("line"), pl.col("q")
    open_before = (quotes.cum_sum() - quotes) % 2 == 1
    outside = (
        pl.when(~open_before & (quotes == 0))
        .then(line.str.count_matches(",", literal=True))
        .when(open_before & (quotes == 0))
        .then(0)
        .otherwise(
            pl.when(open_before)
            .then(pl.lit('"') + line)
            .otherwise(line)
            .str.replace_all(_QUOTED, "")
            .str.count_matches(",", literal=True)
        )
    )
    return (
        lines.lazy()
        .with_columns(starts=~open_before, commas=outside)
        .with_columns(record=pl.col("starts").cum_sum())
        .group_by("record", maintain_order=True)
        .agg(pl.col("commas").sum())
        .select((pl.col("commas") + 1).cast(pl.UInt32).alias(FIELDS))
        .collect()
        .to_series()
    )
