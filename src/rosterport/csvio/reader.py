"""Bytes of one CSV file → a `RawTable` (or a `FileProblem` saying why it cannot be read).

Fast path: polars parses the records; a second, cheap columnar pass over the physical lines
counts each record's fields (commas outside quotes) so malformed rows can be reported with
their spreadsheet row number. Whenever the two passes disagree, or polars refuses the text
(stray quotes inside unquoted fields), the file is parsed again by Python's `csv` module, which
is slower but follows RFC 4180 leniently and says where quoting breaks.

Accepted: UTF-8 with or without BOM; LF, CRLF and CR-only line endings, mixed in one file;
RFC 4180 quoting with newlines inside quotes. Records with no value at all are blank rows:
they keep their row number but are not records.

Refused with a hint (a `FileProblem`): spreadsheets renamed .csv; UTF-16, with a byte-order
mark or without one (recognised by the NUL byte in every other position of its start);
text that is not UTF-8, named by row, column and byte offset, never by quoting the bytes
(the cell may be a password); a header row of more than `MAX_COLUMNS` cells, refused
before the records are parsed.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from rosterport.domain.issues import EMPTY_FILE, UNREADABLE_FILE
from rosterport.domain.tables import FIELDS, MAX_COLUMNS, ROW, FileProblem, RawTable, position

UTF8_BOM = b"\xef\xbb\xbf"
# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset({EMPTY_FILE.code, UNREADABLE_FILE.code})

_BLANK_START = re.compile(rb"[ \t\r\n,]*")
LINE_SEPARATOR = "\x1f"  # a control character: never valid inside roster values
_CSV_FIELD_LIMIT = 1 << 24
_UTF8_CHUNK = 1 << 24
_QUOTED = r'"[^"]*("|$)'  # a quoted stretch, or an open quote running to the end of line
_QUOTED_BYTES = re.compile(rb'"[^"]*(?:"|\Z)')  # the same, over bytes, to the end of the text
_UTF16_PROBE = 256  # bytes of the start of a file that tell UTF-16 without a byte-order mark


@dataclass(frozen=True, slots=True)
class _Text:
    """What the fast path parses: the file's bytes, or its path (polars then reads the file
    itself and the bytes never sit in memory), with the facts the field counts need."""

    source: bytes | Path
    size: int  # bytes, without a byte-order mark
    quotes: bool  # whether a double quote occurs
    separator: bool  # whether LINE_SEPARATOR occurs
    ends_with_newline: bool

    @classmethod
    def of(cls, data: bytes) -> _Text:
        separator = LINE_SEPARATOR.encode() in data
        return cls(data, len(data), b'"' in data, separator, data.endswith(b"\n"))


def read_table(name: str, data: bytes | Path) -> RawTable | FileProblem:
    """Parse one CSV file (its bytes, or its path: then the file is read by polars without
    being loaded whole first, whenever its line endings allow). Never raises for bad
    content: problems come back as FileProblem."""
    if isinstance(data, Path):
        return _read_path(name, data)
    problem = _sniff(name, data)
    if problem is not None:
        return problem
    original = data
    data = data.removeprefix(UTF8_BOM)
    if _is_blank(data):
        return FileProblem(name, EMPTY_FILE.code, _empty_message(name, header_only=False))
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
        table = _read_fast(name, lines, _Text.of(lines))
    except (pl.exceptions.PolarsError, UnicodeDecodeError, csv.Error):
        table = None
    if table is None:  # polars refused the text: say why, or parse it the careful way
        return _check_utf8(name, original) or _read_slow(name, data)
    if lines is not data and b'"' in data and _breaks_lines(table):
        # The copy turned any CR inside quotes into LF; the careful parser reads the original.
        return _read_slow(name, data)
    return table


_HEAD = 1 << 20  # bytes read to find the header row (a longer one is read the bytes way)
_SCAN = 1 << 24  # bytes read at a time when a file is scanned for the facts of `_Text`
_LONE_CR = re.compile(rb"\r(?!\n)")
_SAVE_AS_UTF8 = "save it as 'CSV UTF-8 (Comma delimited)'"


def _read_path(name: str, path: Path) -> RawTable | FileProblem:
    """`read_table` of a file on disk: one pass in chunks for the facts, then polars reads
    the file. Files that need a copy (CR-only or mixed line endings) or the careful parser
    are read into memory and parsed as bytes."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    problem = _sniff(name, head[:4096])
    if problem is not None:
        return problem
    text = _scan(path, head.startswith(UTF8_BOM))
    if text is None:  # blank, lone CRs, or an odd byte: the bytes way says what to do
        return read_table(name, path.read_bytes())
    try:
        table = _read_fast(name, head.removeprefix(UTF8_BOM), text)
    except (pl.exceptions.PolarsError, UnicodeDecodeError, csv.Error):
        table = None
    return table if table is not None else read_table(name, path.read_bytes())


def _scan(path: Path, bom: bool) -> _Text | None:
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
    return _Text(path, size, quotes, separator=False, ends_with_newline=last == b"\n")


def _is_blank(data: bytes) -> bool:
    """Only spaces, line breaks and commas (a regex: `strip()` would copy the whole file)."""
    match = _BLANK_START.match(data)
    return match is not None and match.end() == len(data)


def _sniff(name: str, data: bytes) -> FileProblem | None:
    """Recognise files that are not UTF-8 CSV at all, with a hint that says how to fix them."""
    if not data:
        return FileProblem(name, EMPTY_FILE.code, _empty_message(name, header_only=False))
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        what = (
            "an Excel workbook (.xlsx)" if b"xl/" in head or b"[Content_Types]" in head else "a zip"
        )
        return FileProblem(
            name,
            UNREADABLE_FILE.code,
            UNREADABLE_FILE.text(
                file=name,
                reason=f"it is {what} renamed to .csv",
                fix="open it in Excel and use File › Save As › 'CSV UTF-8 (Comma delimited)'",
            ),
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return FileProblem(
            name,
            UNREADABLE_FILE.code,
            UNREADABLE_FILE.text(
                file=name,
                reason="it is an old Excel workbook (.xls) renamed to .csv",
                fix=_SAVE_AS_UTF8,
            ),
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        return FileProblem(
            name,
            UNREADABLE_FILE.code,
            UNREADABLE_FILE.text(
                file=name, reason="it is saved as UTF-16 ('Unicode Text')", fix=_SAVE_AS_UTF8
            ),
        )
    return None


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: CSV starts with ASCII (column names), which UTF-16
    writes as a NUL byte in every other position (after each character in little-endian,
    before it in big-endian); UTF-8 text has no NUL bytes at all."""
    probe = head[:_UTF16_PROBE]
    probe = probe[: len(probe) // 2 * 2]
    if len(probe) < 4 or b"\0" not in probe:
        return False
    pairs = len(probe) // 2
    for nul, other in ((probe[1::2], probe[0::2]), (probe[0::2], probe[1::2])):
        if nul.count(0) * 4 >= pairs * 3 and other.count(0) * 4 < pairs:
            return True
    return False


def _check_utf8(name: str, data: bytes) -> FileProblem | None:
    """UTF-8 validity, decoded in bounded chunks; the problem says where and a likely cause."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _UTF8_CHUNK):
        piece = data[start : start + _UTF8_CHUNK]
        try:
            utf8.decode(piece, final=start + _UTF8_CHUNK >= len(data))
        except UnicodeDecodeError as error:
            offset = start + error.start
            return FileProblem(name, UNREADABLE_FILE.code, _encoding_message(name, data, offset))
    return None


def _encoding_message(name: str, data: bytes, offset: int) -> str:
    """Where the first byte that is not UTF-8 is; never what the text around it says (the
    cell may be a password, and the report is shown to everyone who sees the upload)."""
    before = data[:offset]
    if b'"' in before:  # quoted values may hold commas and line breaks: they do not count
        before = _QUOTED_BYTES.sub(b"", before)
    row = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
    line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    column = before.count(b",", line_start) + 1
    byte = data[offset]
    guess = "Windows-1252 or Latin-1" if byte >= 0x80 else "another encoding"
    return UNREADABLE_FILE.text(
        file=name,
        reason=f"it is not UTF-8 (byte 0x{byte:02X} in row {row}, column {column} "
        f"({_letters(column)}), at byte offset {offset:,})",
        fix=f"saved as {guess}? Save it as 'CSV UTF-8 (Comma delimited)'",
    )


def _letters(column: int) -> str:
    """A spreadsheet's name for a column number: 1 → A, 27 → AA."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _empty_message(name: str, *, header_only: bool) -> str:
    if header_only:
        return EMPTY_FILE.text(file=name)
    return EMPTY_FILE.text("blank", file=name)


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


def _too_wide(name: str, width: int) -> FileProblem:
    return FileProblem(
        name,
        UNREADABLE_FILE.code,
        UNREADABLE_FILE.text(
            file=name,
            reason=f"its header row has {width:,} columns, more than the limit of {MAX_COLUMNS:,}",
            fix="keep only the columns of the data model (the templates list them), and check "
            "that row 1 is the header row",
        ),
    )


def _read_fast(name: str, head: bytes, text: _Text) -> RawTable | FileProblem | None:
    """Columnar parse of `text` (`head`: its first bytes, without a byte-order mark); None
    when the file needs the careful parser."""
    if text.size > len(head) and not _header_ends(head):
        return None  # a header row longer than the head: the bytes way reads it
    header, _ = _header(head)
    if len(header) > MAX_COLUMNS:
        return _too_wide(name, len(header))
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
    proven = None if longer or not text.ends_with_newline else _full_records(records)
    fields: pl.Series | None
    if proven is not None and proven.all():
        fields = pl.repeat(records.width, records.height, dtype=pl.UInt32, eager=True)
    else:
        fields = _field_counts(text, records, proven)
    if fields is None or fields.len() != records.height:
        return None
    numbered = records.with_row_index(ROW, offset=1).with_columns(fields.rechunk().alias(FIELDS))
    holder = [numbered.slice(1)]
    del records, fields, numbered  # _finish may copy the columns: no other reference left
    return _finish(name, header, holder)


def _parse(text: _Text, schema: dict[str, pl.DataType], *, truncate: bool) -> pl.DataFrame:
    """The records as strings (the header row first), one chunk per column."""
    frame = pl.read_csv(
        text.source,
        has_header=False,
        schema=schema,
        empty_string_is_null=False,
        truncate_ragged_lines=truncate,
        quote_char='"',
    )
    return _one_chunk_each(frame.get_columns())


def _one_chunk_each(columns: list[pl.Series]) -> pl.DataFrame:
    """The columns as a frame, each in one chunk (later selects and filters never realign
    chunks), rechunked one at a time: the old chunks of a column are freed before the next
    is copied, so the file is never held twice (a whole-frame rechunk would)."""
    for i, column in enumerate(columns):
        columns[i] = column.rechunk()
        del column
    return pl.DataFrame(columns)


def _header_ends(head: bytes) -> bool:
    """Whether the header row ends within `head` (a newline outside quotes)."""
    end = head.find(b"\n")
    quotes = head.count(b'"', 0, max(end, 0))
    while end >= 0 and quotes % 2:
        following = head.find(b"\n", end + 1)
        quotes += head.count(b'"', end + 1, len(head) if following < 0 else following)
        end = following
    return end >= 0


def _full_records(records: pl.DataFrame) -> pl.Series | None:
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


def _breaks_lines(table: RawTable | FileProblem) -> bool:
    """Whether a header cell or value holds a line break."""
    if isinstance(table, FileProblem):
        return False
    columns = [position(i) for i in range(len(table.header))]
    in_values = table.frame.select(
        pl.any_horizontal(pl.col(columns).str.contains("\n", literal=True).any())
    ).item()
    return any("\n" in cell for cell in table.header) or bool(in_values)


def _field_counts(
    text: _Text, records: pl.DataFrame, proven: pl.Series | None = None
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


def _read_slow(name: str, data: bytes) -> RawTable | FileProblem:
    """RFC 4180 parse with Python's csv module: exact, lenient with stray quotes, slower."""
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        first = next(reader, None)
        if first is not None and len(first) > MAX_COLUMNS:
            return _too_wide(name, len(first))
        rows.extend(() if first is None else (first,))
        rows.extend(reader)
    except csv.Error as error:
        return FileProblem(
            name,
            UNREADABLE_FILE.code,
            UNREADABLE_FILE.text(
                file=name,
                reason=f"broken quoting on row {len(rows) + 1} ({error})",
                fix="a value that contains a comma, a quote or a line break must be enclosed in "
                'double quotes, and a quote inside it written twice ("")',
            ),
        )
    if not rows:
        return FileProblem(name, EMPTY_FILE.code, _empty_message(name, header_only=False))
    header = [cell.strip() for cell in rows[0]]
    if not any(header):
        return FileProblem(
            name,
            EMPTY_FILE.code,
            EMPTY_FILE.text("no-header", file=name),
        )
    width = len(header)
    body = rows[1:]
    columns = {position(i): [row[i] if i < len(row) else "" for row in body] for i in range(width)}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String)).with_columns(
        pl.Series(ROW, range(2, len(body) + 2), dtype=pl.UInt32),
        pl.Series(FIELDS, [len(row) for row in body], dtype=pl.UInt32),
    )
    holder = [frame]
    del frame
    return _finish(name, header, holder)


def _drain(columns: list[pl.Series]) -> Iterator[pl.Series]:
    """The columns, each taken out of the list as it is handed over (so it can be freed as
    soon as the caller replaced it)."""
    columns.reverse()
    while columns:
        yield columns.pop()


def _finish(name: str, header: list[str], holder: list[pl.DataFrame]) -> RawTable | FileProblem:
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
            frame = _one_chunk_each([column.filter(keep) for column in _drain(columns)])
    else:
        blanks = 0
    if frame.height == 0:
        return FileProblem(name, EMPTY_FILE.code, _empty_message(name, header_only=True))
    return RawTable(name, tuple(header), frame, blank_rows=blanks)
