"""What the domain receives from the reader: one raw table per uploaded file.

The reader (an adapter) turns bytes into a `RawTable`: the header cells as written and a frame
of string columns named by position (`c0`, `c1`, …) so that duplicate or odd header names
cannot collide, plus two bookkeeping columns:

- `__row`: the spreadsheet row number (header = row 1; a quoted value spanning lines counts as
  the row it starts on);
- `__fields`: how many fields the row really had, so malformed rows can be reported.

A file that cannot be read at all is a `FileProblem` instead; so is a file whose header row
has more than `MAX_COLUMNS` cells (no data model has a tenth as many columns: such a file
would only cost time and memory to read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

ROW = "__row"
FIELDS = "__fields"
MAX_COLUMNS = 2000


def position(index: int) -> str:
    """The frame column name of the header cell at `index`."""
    return f"c{index}"


@dataclass(frozen=True, slots=True)
class RawTable:
    """One readable CSV file: header cells as written and the records as strings."""

    name: str
    header: tuple[str, ...]
    frame: pl.DataFrame
    blank_rows: int = 0

    @property
    def rows(self) -> int:
        """Number of records (blank rows are not records)."""
        return self.frame.height


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that cannot be used at all: `code` is a blocking file issue code."""

    name: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class DeferredTable:
    """A file the validator reads when it reaches it: `read` (the reader, an adapter) gives
    its RawTable or FileProblem. Only the file being checked is then in memory as raw
    strings, beside what later files need of the earlier ones: at 1M students the raw
    enrollments are never held next to the raw students."""

    name: str
    read: Callable[[], RawTable | FileProblem]


def loaded(table: RawTable | FileProblem | DeferredTable) -> RawTable | FileProblem:
    """The table itself, read now if it was deferred."""
    return table.read() if isinstance(table, DeferredTable) else table
