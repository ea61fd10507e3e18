"""The validation report: per-file results and every issue, in the stable contract's shape.

`Report.to_dict()` is the machine-readable JSON contract of spec/validation.md. `groups()`
condenses large reports: one row per (file, column, code, level) with a count, the first
rows and sample values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import polars as pl

from rosterport.domain.checks.issueframe import ISSUE_COLUMNS
from rosterport.domain.issues import Level


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


_LEVEL_ORDER = {Level.ERROR.value: 0, Level.WARN.value: 1, Level.INFO.value: 2}


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of validating one upload."""

    model: str
    files: tuple[FileResult, ...]
    issues: pl.DataFrame  # columns: file,row,column,value,code,level,message
    notes: tuple[str, ...] = ()  # plain sentences about how the upload was read

    @property
    def valid(self) -> bool:
        """True when no issue has level error."""
        return not self.issues.filter(pl.col("level") == Level.ERROR.value).height

    def summary(self) -> dict[str, int]:
        counts = dict(self.issues.group_by("level").len().iter_rows())
        return {level.value: int(counts.get(level.value, 0)) for level in Level}

    def sorted_issues(self) -> pl.DataFrame:
        """Issues in reading order: by file as uploaded, then row (file issues first)."""
        order = {f.name: i for i, f in enumerate(self.files)}
        return (
            self.issues.with_columns(
                pl.col("file")
                .replace_strict(order, default=len(order), return_dtype=pl.Int32)
                .alias("__file_order")
            )
            .sort(["__file_order", "row"], nulls_last=False, maintain_order=True)
            .select(ISSUE_COLUMNS)
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (spec/validation.md, "Machine-readable report")."""
        return {
            "model": self.model,
            "valid": self.valid,
            "summary": self.summary(),
            "files": [f.to_dict() for f in self.files],
            "issues": self.sorted_issues().to_dicts(),
            "notes": list(self.notes),
        }

    def groups(self, samples: int = 3) -> pl.DataFrame:
        """One row per (file, column, code, level): count, first rows, sample values, and the
        first message, most severe first."""
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
        return (
            self.sorted_issues()
            .group_by(["file", "column", "code", "level"], maintain_order=True)
            .agg(
                pl.len().alias("count"),
                pl.col("row").drop_nulls().head(samples).alias("rows"),
                pl.col("value")
                .drop_nulls()
                .unique(maintain_order=True)
                .head(samples)
                .alias("values"),
                pl.col("message").first().alias("message"),
            )
            .with_columns(
                pl.col("level").replace_strict(_LEVEL_ORDER, return_dtype=pl.Int8).alias("__o")
            )
            .sort("__o", maintain_order=True)
            .drop("__o")
        )
