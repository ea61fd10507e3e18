"""The original files an upload is kept as, for "download the originals" of the history:
as sent, but with the values of secret columns (passwords) emptied, so that no clear-text
secret is kept at rest or handed out by a download.

Only files whose header row names a secret column are rewritten (with Python's csv module,
which keeps every row as it was read, a malformed one too, and bytes that are not UTF-8 as
they were); the others are kept byte for byte. A file with a secret column that cannot be
read as CSV is not kept: a short note says so in its place.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

_FIELD_LIMIT = 1 << 24  # as the reader's: a field this long is not a roster value
_HEAD = 1 << 20  # bytes read to find the header row, as the reader's
UNREADABLE_NOTE = (
    "rosterport did not keep this file: it has a secret column (a password) and could not be "
    "read as CSV to empty it; the upload's errors report says what was wrong with it\n"
)


def _positions(header: list[str], secret: Collection[str]) -> list[int]:
    wanted = {name.lower() for name in secret}
    return [i for i, cell in enumerate(header) if cell.strip().lower() in wanted]


def may_hold_secrets(stream: BinaryIO, secret: Collection[str]) -> bool:
    """Whether the file's header row names a secret column (whatever the case and surrounding
    spaces), reading the head of the stream only; True too when the head holds no whole
    header row (a header that long is read in full by `without_secrets`)."""
    head = stream.read(_HEAD)
    if len(head) == _HEAD and not any(end in head for end in (b"\n", b"\r")):
        return True
    text = head.decode("utf-8-sig", errors="surrogateescape")
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return True  # not CSV as far as can be told: `without_secrets` decides
    return bool(_positions(header, secret))


def without_secrets(source: Path, secret: Collection[str], target: Path) -> None:
    """Write `source` to `target` with the fields of the secret columns of every row after
    the header emptied (rows keep their field counts)."""
    csv.field_size_limit(_FIELD_LIMIT)
    try:
        with (
            source.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as src,
            target.open("w", encoding="utf-8", errors="surrogateescape", newline="") as dst,
        ):
            rows = csv.reader(src)
            out = csv.writer(dst, lineterminator="\r\n")
            header = next(rows, [])
            positions = _positions(header, secret)
            out.writerow(header)
            for row in rows:
                for i in positions:
                    if i < len(row):
                        row[i] = ""
                out.writerow(row)
    except csv.Error:
        target.write_text(UNREADABLE_NOTE, encoding="utf-8")
