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
from collections.abc import Collection
from pathlib import Path

_FIELD_LIMIT = 1 << 24  # as the reader's: a field this long is not a roster value
UNREADABLE_NOTE = (
    "rosterport did not keep this file: it has a secret column (a password) and could not be "
    "read as CSV to empty it; the upload's errors report says what was wrong with it\n"
)


def secret_positions(path: Path, secret: Collection[str]) -> list[int]:
    """The positions of the header row's cells that name a secret column (whatever the case
    and surrounding spaces); [] when there are none or the file has no header row."""
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
        try:
            header = next(csv.reader(text), [])
        except csv.Error:
            header = []
    wanted = {name.lower() for name in secret}
    return [i for i, cell in enumerate(header) if cell.strip().lower() in wanted]


def without_secrets(source: Path, positions: Collection[int], target: Path) -> None:
    """Write `source` to `target` with the fields at `positions` of every row after the
    header emptied (rows keep their field counts)."""
    csv.field_size_limit(_FIELD_LIMIT)
    try:
        with (
            source.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as src,
            target.open("w", encoding="utf-8", errors="surrogateescape", newline="") as dst,
        ):
            rows = csv.reader(src)
            out = csv.writer(dst, lineterminator="\r\n")
            out.writerow(next(rows, []))
            for row in rows:
                for i in positions:
                    if i < len(row):
                        row[i] = ""
                out.writerow(row)
    except csv.Error:
        target.write_text(UNREADABLE_NOTE, encoding="utf-8")
