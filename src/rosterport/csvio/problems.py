"""The problems a CSV file's reading reports (`FileProblem`): why the file cannot be read and
how to fix it. The only module of the reader that names issue codes."""

from __future__ import annotations

from typing import Final

from rosterport.domain.inputs import MAX_COLUMNS, FileProblem
from rosterport.domain.issues import EMPTY_FILE, UNREADABLE_FILE

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset({EMPTY_FILE.code, UNREADABLE_FILE.code})

SAVE_AS_UTF8 = "save it as 'CSV UTF-8 (Comma delimited)'"


def empty(name: str, *, header_only: bool) -> FileProblem:
    """A file with no records: blank, or a header row only."""
    if header_only:
        return FileProblem(name, EMPTY_FILE.code, EMPTY_FILE.text(file=name))
    return FileProblem(name, EMPTY_FILE.code, EMPTY_FILE.text("blank", file=name))


def no_header(name: str) -> FileProblem:
    """A file whose first row has no header cell."""
    return FileProblem(name, EMPTY_FILE.code, EMPTY_FILE.text("no-header", file=name))


def unreadable(name: str, reason: str, fix: str) -> FileProblem:
    """A file that cannot be read, with the reason and the fix."""
    return FileProblem(
        name, UNREADABLE_FILE.code, UNREADABLE_FILE.text(file=name, reason=reason, fix=fix)
    )


def too_wide(name: str, width: int) -> FileProblem:
    """A header row of more than `MAX_COLUMNS` cells."""
    return unreadable(
        name,
        f"its header row has {width:,} columns, more than the limit of {MAX_COLUMNS:,}",
        "keep only the columns of the data model (the templates list them), and check "
        "that row 1 is the header row",
    )


def broken_quoting(name: str, row: int, error: Exception) -> FileProblem:
    """Quoting the careful parser cannot follow, on spreadsheet row `row`."""
    return unreadable(
        name,
        f"broken quoting on row {row} ({error})",
        "a value that contains a comma, a quote or a line break must be enclosed in "
        'double quotes, and a quote inside it written twice ("")',
    )
