"""Issues as frames: one row per issue, the columns of the report contract and two more.

Checks build these with polars expressions over the offending rows only. A report may hold
millions of issues (every DOB refused, every enrollment of a filtered student in cascade),
so an issue frame is kept compact and its messages are written out only when a report is:

- `code` and `level` are enums (one byte each), `file` and `column` categoricals (a few
  names, millions of rows);
- a message is either `message` (the full text) or `template`, a categorical text with the
  placeholders `{value}` (the issue's value) and `{n}` (the number in `n`: a first row, a
  field count). The same template serves every issue of its kind ("Student_id '{value}'
  names a student that was removed from students.csv (row {n} has issues)…"), so the 8
  enrollments of a filtered student cost a row number each, not 8 sentences. Templates are
  made from the schema's words only, never from uploaded text (which may contain `{n}`), so
  there are few of them; a message that quotes anything else besides the value is given
  whole in `message`.

`rendered(frame)` is the contract's view: `file,row,column,value,code,level,message`, with
every message written out; reports call it one batch at a time. `level` may be null in a
check's output: the validator then fills in the level the policy gives that code.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableSequence

import polars as pl

from rosterport.domain.issue_type import IssueType, Level
from rosterport.domain.issues import CATALOGUE

CODE = pl.Enum(list(CATALOGUE))
LEVEL = pl.Enum([level.value for level in Level])
VALUE, NUMBER = "{value}", "{n}"  # the placeholders of a template

ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.Categorical(),  # a few names repeated millions of times: 4 bytes a row, not 16
    "row": pl.UInt32(),
    "column": pl.Categorical(),
    "value": pl.String(),
    "code": CODE,
    "level": LEVEL,
    "message": pl.String(),
    "template": pl.Categorical(),
    "n": pl.UInt32(),
}
ISSUE_COLUMNS = ("file", "row", "column", "value", "code", "level", "message")  # the contract
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
    if not parts:
        return empty()
    return parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical")


def concat_consuming(frames: MutableSequence[pl.DataFrame]) -> pl.DataFrame:
    """`concat(frames)`, emptying `frames` on the way: each part can be freed as soon as
    the result holds it, so millions of issues are not held twice."""
    parts = [conform(f) for f in frames if f.height]
    frames.clear()
    if not parts:
        return empty()
    if len(parts) == 1:
        return parts[0]
    whole = pl.concat(parts, how="vertical", rechunk=False)
    del parts
    return whole.rechunk()


def template(*parts: str | pl.Expr) -> pl.Expr:
    """A message template from fixed words (str) and expressions that give fixed words per
    row (a hint); write VALUE and NUMBER where the value and `n` go."""
    return pl.concat_str(
        [pl.lit(p, dtype=pl.String) if isinstance(p, str) else p for p in parts]
    ).cast(pl.Categorical)


def message_expr() -> pl.Expr:
    """The full message of each issue: `message`, or its template written out."""
    number = pl.col("n").cast(pl.String).fill_null("")
    written = (
        pl.col("template")
        .cast(pl.String)
        .str.replace_all(NUMBER, number, literal=True)
        .str.replace_all(VALUE, pl.col("value").fill_null(""), literal=True)
    )
    return pl.coalesce(pl.col("message"), written).alias("message")


def rendered(frame: pl.DataFrame) -> pl.DataFrame:
    """The contract's columns, every message written out, code and level as text."""
    return frame.select(contract_exprs())


def contract_exprs() -> list[pl.Expr]:
    """The expressions `rendered` selects (for lazy and streaming queries too)."""
    return [
        pl.col("file").cast(pl.String),
        pl.col("row"),
        pl.col("column").cast(pl.String),
        pl.col("value"),
        pl.col("code").cast(pl.String),
        pl.col("level").cast(pl.String),
        message_expr(),
    ]


def file_issue(
    issue: IssueType,
    file: str | None,
    message: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
    level: Level | None = None,
) -> pl.DataFrame:
    """One issue as a one-row frame: about a whole file, a whole column, or one row (a
    manifest line); the issue type's own level unless `level` is given."""
    return conform(
        pl.DataFrame(
            {
                "file": [file],
                "row": [row],
                "column": [column],
                "value": [value],
                "code": [issue.code],
                "level": [(level or issue.level).value],
                "message": [message],
            },
            schema_overrides={"row": pl.UInt32},
        )
    )
