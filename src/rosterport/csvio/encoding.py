"""What the bytes of a file are, before any parse: workbooks renamed .csv, UTF-16 (with a
byte-order mark or without one), and text that is not UTF-8, named by row, column and byte
offset, never by quoting the bytes (the cell may be a password)."""

from __future__ import annotations

import codecs
import re

from rosterport.csvio import problems
from rosterport.domain.inputs import FileProblem

UTF8_BOM = b"\xef\xbb\xbf"
_UTF8_CHUNK = 1 << 24
_QUOTED_BYTES = re.compile(rb'"[^"]*(?:"|\Z)')  # a quoted stretch, or an open quote to the end
_UTF16_PROBE = 256  # bytes of the start of a file that tell UTF-16 without a byte-order mark


def sniff(name: str, data: bytes) -> FileProblem | None:
    """Recognise files that are not UTF-8 CSV at all, with a hint that says how to fix them."""
    if not data:
        return problems.empty(name, header_only=False)
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        what = (
            "an Excel workbook (.xlsx)" if b"xl/" in head or b"[Content_Types]" in head else "a zip"
        )
        return problems.unreadable(
            name,
            f"it is {what} renamed to .csv",
            "open it in Excel and use File › Save As › 'CSV UTF-8 (Comma delimited)'",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return problems.unreadable(
            name, "it is an old Excel workbook (.xls) renamed to .csv", problems.SAVE_AS_UTF8
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        return problems.unreadable(
            name, "it is saved as UTF-16 ('Unicode Text')", problems.SAVE_AS_UTF8
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


def check_utf8(name: str, data: bytes) -> FileProblem | None:
    """UTF-8 validity, decoded in bounded chunks; the problem says where and a likely cause."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _UTF8_CHUNK):
        piece = data[start : start + _UTF8_CHUNK]
        try:
            utf8.decode(piece, final=start + _UTF8_CHUNK >= len(data))
        except UnicodeDecodeError as error:
            return _not_utf8(name, data, start + error.start)
    return None


def _not_utf8(name: str, data: bytes, offset: int) -> FileProblem:
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
    return problems.unreadable(
        name,
        f"it is not UTF-8 (byte 0x{byte:02X} in row {row}, column {column} "
        f"({_letters(column)}), at byte offset {offset:,})",
        f"saved as {guess}? Save it as 'CSV UTF-8 (Comma delimited)'",
    )


def _letters(column: int) -> str:
    """A spreadsheet's name for a column number: 1 → A, 27 → AA."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
