"""Issues as frames: one row per issue, the same columns as the report contract.

Checks build these with polars expressions over the offending rows only, so messages are
formatted just for what is reported. `level` may be null in a check's output: the validator
then fills in the level the policy gives that code.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from rosterport.domain.issues import IssueType, Level

ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(),
    "row": pl.UInt32(),
    "column": pl.String(),
    "value": pl.String(),
    "code": pl.String(),
    "level": pl.String(),
    "message": pl.String(),
}
ISSUE_COLUMNS = tuple(ISSUE_SCHEMA)
MASK = "••••"


def empty() -> pl.DataFrame:
    """An issue frame with no issues."""
    return pl.DataFrame(schema=ISSUE_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast a check's output to the issue schema, adding missing columns as nulls."""
    return frame.select(
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in ISSUE_SCHEMA.items()
    )


def concat(frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """All issues of several frames, in order."""
    parts = [conform(f) for f in frames if f.height]
    return pl.concat(parts, how="vertical") if parts else empty()


def file_issue(
    issue: IssueType,
    file: str | None,
    message: str,
    *,
    column: str | None = None,
    value: str | None = None,
    level: Level | None = None,
) -> pl.DataFrame:
    """One issue about a whole file (row null) or a whole column."""
    return conform(
        pl.DataFrame(
            {
                "file": [file],
                "row": [None],
                "column": [column],
                "value": [value],
                "code": [issue.code],
                "level": [(level or issue.level).value],
                "message": [message],
            },
            schema_overrides={"row": pl.UInt32},
        )
    )
