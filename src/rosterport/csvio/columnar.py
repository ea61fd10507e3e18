"""The fast path: polars parses the records column by column, and the field counts
(`field_counts`) tell malformed rows. None whenever the file needs the careful parser
(`careful`): no header row in the head read, no header cells, or the passes disagree."""

from __future__ import annotations

import csv

import polars as pl

from rosterport.csvio import problems
from rosterport.csvio.field_counts import Text, field_counts, full_records
from rosterport.csvio.raw_table import finish, one_chunk_each
from rosterport.domain.inputs import FIELDS, MAX_COLUMNS, ROW, FileProblem, RawTable, position


def read_fast(name: str, head: bytes, text: Text) -> RawTable | FileProblem | None:
    """Columnar parse of `text` (`head`: its first bytes, without a byte-order mark); None
    when the file needs the careful parser."""
    if text.size > len(head) and not _header_ends(head):
        return None  # a header row longer than the head: the bytes way reads it
    header, _ = _header(head)
    if len(header) > MAX_COLUMNS:
        return problems.too_wide(name, len(header))
    if not any(header):  # no header row: the careful parser says so
        return None
    schema: dict[str, pl.DataType] = dict.fromkeys(
        (position(i) for i in range(len(header))), pl.String()
    )
    try:  # strict: polars refuses a record with more fields than the header
        records, longer = _parse(text, schema, truncate=False), False
    except pl.exceptions.PolarsError:  # some record is longer (or worse): parse leniently
        records, longer = _parse(text, schema, truncate=True), True
    # Proven one field per column: a record of a strict parse whose last value is not empty
    # (polars lets a trailing comma pass on a last line without a line break, though)
    proven = None if longer or not text.ends_with_newline else full_records(records)
    fields: pl.Series | None
    if proven is not None and proven.all():
        fields = pl.repeat(records.width, records.height, dtype=pl.UInt32, eager=True)
    else:
        fields = field_counts(text, records, proven)
    if fields is None or fields.len() != records.height:
        return None
    numbered = records.with_row_index(ROW, offset=1).with_columns(fields.rechunk().alias(FIELDS))
    holder = [numbered.slice(1)]
    del records, fields, numbered  # finish may copy the columns: no other reference left
    return finish(name, header, holder)


def _header(data: bytes) -> tuple[list[str], int]:
    """The header cells and the number of physical lines they span (quotes may span lines).

    Quotes are counted line by line on the bytes (a quote byte is never part of a longer
    UTF-8 character), so a header with an open quote costs one pass, not one per line.
    """
    end = data.find(b"\n")
    quotes = data.count(b'"', 0, len(data) if end < 0 else end)
    while quotes % 2 and end >= 0:
        following = data.find(b"\n", end + 1)
        quotes += data.count(b'"', end + 1, len(data) if following < 0 else following)
        end = following
    text = (data if end < 0 else data[:end]).decode("utf-8")
    cells = next(csv.reader([text], strict=False), [])
    return [cell.strip() for cell in cells], text.count("\n") + 1


def _header_ends(head: bytes) -> bool:
    """Whether the header row ends within `head` (a newline outside quotes)."""
    end = head.find(b"\n")
    quotes = head.count(b'"', 0, max(end, 0))
    while end >= 0 and quotes % 2:
        following = head.find(b"\n", end + 1)
        quotes += head.count(b'"', end + 1, len(head) if following < 0 else following)
        end = following
    return end >= 0


def _parse(text: Text, schema: dict[str, pl.DataType], *, truncate: bool) -> pl.DataFrame:
    """The records as strings (the header row first), one chunk per column."""
    frame = pl.read_csv(
        text.source,
        has_header=False,
        schema=schema,
        empty_string_is_null=False,
        truncate_ragged_lines=truncate,
        quote_char='"',
    )
    return one_chunk_each(frame.get_columns())
