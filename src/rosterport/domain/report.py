"""The validation report: per-file results and every issue, in the stable contract's shape.

A report may hold millions of issues; they stay one compact frame (`issueframe`), in reading
order, and are written out in batches (`batches`): the renderings in `rosterport.reports`
stream them, so no rendering holds every issue as text, nor any issue as a Python object.
`groups()` condenses large reports: one row per (file, column, code, level) with a count,
the first rows and sample values. `to_dict()` is the machine-readable JSON contract of
spec/validation.md as one Python object, for small reports and tests only.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableSequence, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.issue_type import Level

BATCH = 10_000  # issues written out at a time (a few MB of text: small batches, small peaks)


class FileStatus(StrEnum):
    VALIDATED = "validated"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """The words the product uses for this status."""
        return "Validated and Uploaded" if self is FileStatus.VALIDATED else "Validation failed"


@dataclass(frozen=True, slots=True)
class FileResult:
    """One file of the upload: how many records were read, kept, filtered, rejected."""

    name: str
    status: FileStatus
    rows: int
    accepted: int
    filtered: int
    rejected: int = 0
    schema_file: str | None = None  # the model's file this was read as (staff.csv → admins.csv)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "rows": self.rows,
            "accepted": self.accepted,
            "filtered": self.filtered,
            "rejected": self.rejected,
        }


_ORDER = "__order"


def _order_key(issues: pl.DataFrame, files: Sequence[FileResult]) -> pl.Series:
    """One 64-bit key per issue whose order is reading order: the file's place in the upload
    (files it does not name last), then the row, file issues (no row) first."""
    order = {f.name: i for i, f in enumerate(files)}
    place = pl.col("file").replace_strict(order, default=len(order), return_dtype=pl.UInt64)
    row = (pl.col("row").cast(pl.UInt64) + 1).fill_null(0)
    return issues.select((place * (1 << 32) + row).alias(_ORDER)).to_series()


def in_reading_order(
    holder: MutableSequence[pl.DataFrame], files: Sequence[FileResult]
) -> pl.DataFrame:
    """The issue frame `holder` holds (taken out of it), sorted in reading order, stably.

    Sorting millions of issues gathers each column anew; here one column at a time, each
    old column freed as its sorted copy is made, so the issues are never held twice."""
    issues = holder.pop()
    key = _order_key(issues, files)
    if key.is_sorted():
        return issues
    permutation = pl.DataFrame(key).select(pl.arg_sort_by(_ORDER, maintain_order=True))
    del key
    order = permutation.to_series()
    columns = issues.get_columns()
    del issues
    for i, column in enumerate(columns):
        columns[i] = column.gather(order)
        del column
    return pl.DataFrame(columns)


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of validating one upload. `issues` is an issue frame (`issueframe`:
    messages may be templates) in reading order: by file as uploaded, then row, file issues
    first; a report made from issues in another order sorts them."""

    model: str
    files: tuple[FileResult, ...]
    issues: pl.DataFrame
    notes: tuple[str, ...] = ()  # plain sentences about how the upload was read

    def __post_init__(self) -> None:
        issues = issueframe.conform(self.issues)
        object.__setattr__(self, "issues", in_reading_order([issues], self.files))

    @property
    def valid(self) -> bool:
        """True when no issue has level error."""
        return not self.issues.filter(pl.col("level") == Level.ERROR.value).height

    @property
    def issue_count(self) -> int:
        return self.issues.height

    def summary(self) -> dict[str, int]:
        counts = {str(k): int(v) for k, v in self.issues.group_by("level").len().iter_rows()}
        return {level.value: counts.get(level.value, 0) for level in Level}

    def batches(self, size: int = BATCH) -> Iterator[pl.DataFrame]:
        """The issues in reading order as the contract's columns, `size` at a time, each
        batch's messages written out only when it is asked for."""
        for start in range(0, self.issues.height, size):
            yield issueframe.rendered(self.issues.slice(start, size))

    def sorted_issues(self) -> pl.DataFrame:
        """Every issue as the contract's columns, in reading order, messages written out:
        all at once, for small reports (reports stream `batches`)."""
        return issueframe.rendered(self.issues)

    def flatten(self, fields: Sequence[str] = ("row", "column", "code")) -> list[list[Any]]:
        """The issues as rows of `fields` (any of the contract's columns), in reading order:
        `[[2, "DOB", "invalid-format"], …]`, the shape tests and scripts compare (frictionless's
        `report.flatten(["rowNumber", "fieldName", "type"])`). For small reports."""
        return [list(row) for row in self.sorted_issues().select(fields).iter_rows()]

    def header(self) -> dict[str, Any]:
        """The contract's keys before `issues`: model, valid, summary, files."""
        return {
            "model": self.model,
            "valid": self.valid,
            "summary": self.summary(),
            "files": [f.to_dict() for f in self.files],
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (spec/validation.md, "Machine-readable report") as one object:
        for small reports (`rosterport.reports.json_report` writes any size as a stream)."""
        return {
            **self.header(),
            "issues": self.sorted_issues().to_dicts(),
            "notes": list(self.notes),
        }

    def groups(self, samples: int = 3) -> pl.DataFrame:
        """One row per (file, column, code, level): count, first rows, sample values, and the
        first message, most severe first (files in reading order within a level)."""
        if not self.issues.height:
            return pl.DataFrame(
                schema={
                    "file": pl.String,
                    "column": pl.String,
                    "code": pl.String,
                    "level": pl.String,
                    "count": pl.UInt32,
                    "rows": pl.List(pl.UInt32),
                    "values": pl.List(pl.String),
                    "message": pl.String,
                }
            )
        firsts = ("message", "template", "value", "n")
        grouped = (
            self.issues.group_by(["file", "column", "code", "level"], maintain_order=True)
            .agg(
                pl.len().alias("count"),
                pl.col("row").drop_nulls().head(samples).alias("rows"),
                pl.col("value")
                .drop_nulls()
                .unique(maintain_order=True)
                .head(samples)
                .alias("values"),
                *(pl.col(c).first() for c in firsts),
            )
            .sort("level", maintain_order=True)  # the enum's order: error, warn, info
        )
        return grouped.select(
            "file",
            "column",
            pl.col("code").cast(pl.String),
            pl.col("level").cast(pl.String),
            "count",
            "rows",
            "values",
            issueframe.message_expr(),
        )
