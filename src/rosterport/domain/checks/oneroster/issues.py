"""The one-row issue frame of the OneRoster rules: an issue about a file, a manifest line
or a header column (the manifest and header rules share it)."""

from __future__ import annotations

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.issues import IssueType


def file_issue(
    issue: IssueType,
    file: str,
    message: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
) -> pl.DataFrame:
    """One file issue, possibly about one row (manifest lines have rows)."""
    return issueframe.conform(
        pl.DataFrame(
            {
                "file": [file],
                "row": [row],
                "column": [column],
                "value": [value],
                "code": [issue.code],
                "level": [issue.level.value],
                "message": [message],
            },
            schema_overrides={"row": pl.UInt32, "column": pl.String, "value": pl.String},
        )
    )
