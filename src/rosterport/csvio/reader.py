"""Bytes of one CSV file → a `RawTable` (or a `FileProblem` saying why it cannot be read).

Fast path (`columnar`): polars parses the records; a second, cheap columnar pass over the
physical lines (`field_counts`) counts each record's fields (commas outside quotes) so
malformed rows can be reported with their spreadsheet row number. Whenever the two passes
disagree, or polars refuses the text (stray quotes inside unquoted fields), the file is parsed
again by Python's `csv` module (`careful`), which is slower but follows RFC 4180 leniently and
says where quoting breaks.

Accepted: UTF-8 with or without BOM; LF, CRLF and CR-only line endings, mixed in one file;
RFC 4180 quoting with newlines inside quotes. Records with no value at all are blank rows:
they keep their row number but are not records (`raw_table`).

Refused with a hint (a `FileProblem`, written by `problems`): spreadsheets renamed .csv;
UTF-16, with a byte-order mark or without one (recognised by the NUL byte in every other
position of its start); text that is not UTF-8, named by row, column and byte offset, never by
quoting the bytes (the cell may be a password) (`encoding`); a header row of more than
`MAX_COLUMNS` cells, refused before the records are parsed.

This module holds the entry point and the line endings: which bytes the fast path is given
(the file on disk, or a copy with every CR turned into LF), and when the careful parser reads.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl

from rosterport.csvio import problems
from rosterport.csvio.careful import read_careful
from rosterport.csvio.columnar import read_fast
from rosterport.csvio.encoding import UTF8_BOM, check_utf8, sniff
from rosterport.csvio.field_counts import LINE_SEPARATOR, Text
from rosterport.domain.inputs import FileProblem, RawTable, position

_BLANK_START = re.compile(rb"[ \t\r\n,]*")
_HEAD = 1 << 20  # bytes read to find the header row (a longer one is read the bytes way)
_SCAN = 1 << 24  # bytes read at a time when a file is scanned for the facts of `Text`
_LONE_CR = re.compile(rb"\r(?!\n)")


def read_table(name: str, data: bytes | Path) -> RawTable | FileProblem:
    """Parse one CSV file (its bytes, or its path: then the file is read by polars without
    being loaded whole first, whenever its line endings allow). Never raises for bad
    content: problems come back as FileProblem."""
    if isinstance(data, Path):
        return _read_path(name, data)
    problem = sniff(name, data)
    if problem is not None:
        return problem
    original = data
    data = data.removeprefix(UTF8_BOM)
    if _is_blank(data):
        return problems.empty(name, header_only=False)
    # polars splits records on LF (and CRLF): a file with CR-only line endings, mixed ones
    # too, is read as a copy with every CR turned into LF. A file whose every CR is part of
    # a CRLF is read as it is (no copy; a CRLF inside quotes is kept as written).
    crlf_only = b"\r" in data and _LONE_CR.search(data) is None
    lines = (
        data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\r" in data and not crlf_only
        else data
    )
    try:
        table = read_fast(name, lines, Text.of(lines))
    except (pl.exceptions.PolarsError, UnicodeDecodeError, csv.Error):
        table = None
    if table is None:  # polars refused the text: say why, or parse it the careful way
        return check_utf8(name, original) or read_careful(name, data)
    if lines is not data and b'"' in data and _breaks_lines(table):
        # The copy turned any CR inside quotes into LF; the careful parser reads the original.
        return read_careful(name, data)
    return table


def _read_path(name: str, path: Path) -> RawTable | FileProblem:
    """`read_table` of a file on disk: one pass in chunks for the facts, then polars reads
    the file. Files that need a copy (CR-only or mixed line endings) or the careful parser
    are read into memory and parsed as bytes."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    problem = sniff(name, head[:4096])
    if problem is not None:
        return problem
    text = _scan(path, head.startswith(UTF8_BOM))
    if text is None:  # blank, lone CRs, or an odd byte: the bytes way says what to do
        return read_table(name, path.read_bytes())
    try:
        table = read_fast(name, head.removeprefix(UTF8_BOM), text)
    except (pl.exceptions.PolarsError, UnicodeDecodeError, csv.Error):
        table = None
    return table if table is not None else read_table(name, path.read_bytes())


def _scan(path: Path, bom: bool) -> Text | None:
    """The facts of a file read in chunks, with fast searches only; None when it is blank,
    has a CR that is not part of a CRLF, or holds LINE_SEPARATOR (those are read as bytes)."""
    size = 0
    blank, quotes, pending_cr, last = True, False, False, b""
    with path.open("rb") as handle:
        if bom:
            handle.read(len(UTF8_BOM))
        while chunk := handle.read(_SCAN):
            if pending_cr and not chunk.startswith(b"\n"):
                return None  # the CR that ended the previous chunk stood alone
            if LINE_SEPARATOR.encode() in chunk:
                return None
            end = len(chunk) - 1 if chunk.endswith(b"\r") else len(chunk)  # (a CR at the
            if b"\r" in chunk and _LONE_CR.search(chunk, 0, end):  # very end: next chunk)
                return None
            blank = blank and _is_blank(chunk)
            quotes = quotes or b'"' in chunk
            pending_cr = chunk.endswith(b"\r")
            size += len(chunk)
            last = chunk[-1:]
    if blank or pending_cr:
        return None
    return Text(path, size, quotes, separator=False, ends_with_newline=last == b"\n")


def _is_blank(data: bytes) -> bool:
    """Only spaces, line breaks and commas (a regex: `strip()` would copy the whole file)."""
    match = _BLANK_START.match(data)
    return match is not None and match.end() == len(data)


def _breaks_lines(table: RawTable | FileProblem) -> bool:
    """Whether a header cell or value holds a line break."""
    if isinstance(table, FileProblem):
        return False
    columns = [position(i) for i in range(len(table.header))]
    in_values = table.frame.select(
        pl.any_horizontal(pl.col(columns).str.contains("\n", literal=True).any())
    ).item()
    return any("\n" in cell for cell in table.header) or bool(in_values)
