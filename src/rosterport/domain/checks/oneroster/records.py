"""OneRoster 1.1 record checks: the bulk and delta bookkeeping columns (`status`,
`dateLastModified`, `tobedeleted` deletions) and the advisory checks (schools are orgs of
type school, one primary teacher per class, subjectCodes pair with subjects)."""

from __future__ import annotations

from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.checks.model_rules import FileCheck
from rosterport.domain.checks.oneroster.manifest import MANIFEST
from rosterport.domain.inputs import ROW
from rosterport.domain.issue_type import IssueType, Level
from rosterport.domain.issues import (
    INVALID_FORMAT,
    REFERENCE_NOT_FOUND,
    REQUIRED_ATTRIBUTE,
    UNIQUENESS_VIOLATION,
)

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset(
    {
        INVALID_FORMAT.code,
        REFERENCE_NOT_FOUND.code,
        REQUIRED_ATTRIBUTE.code,
        UNIQUENESS_VIOLATION.code,
    }
)


DELETE = "tobedeleted"


def _record_issues(
    rows: pl.DataFrame,
    file: str,
    column: str,
    issue: IssueType,
    message: pl.Expr,
    *,
    value: pl.Expr | None = None,
    level: Level | None = None,
) -> pl.DataFrame:
    """One issue per row of `rows`; level None takes the organization's level."""
    return issueframe.conform(
        rows.select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(column).alias("column"),
            (pl.col(column) if value is None else value).cast(pl.String).alias("value"),
            pl.lit(issue.code).alias("code"),
            pl.lit(level.value if level else None, dtype=pl.String).alias("level"),
            message.alias("message"),
        )
    )


def _deleting(frame: pl.DataFrame) -> pl.Expr:
    """Rows with status `tobedeleted` (a deletion in a delta file)."""
    if "status" not in frame.columns:
        return pl.lit(value=False)
    return pl.col("status").eq_missing(DELETE)


def bulk(check: FileCheck) -> pl.DataFrame:
    """Bulk: status and dateLastModified are empty on every row."""
    file = check.schema.name
    issues = []
    for column in ("status", "dateLastModified"):
        if column not in check.values.columns:
            continue
        rows = check.values.filter(pl.col(column).is_not_null())
        message = INVALID_FORMAT.expr(
            "bulk", column=column, value=pl.col(column), manifest=MANIFEST, file=file
        )
        issues.append(_record_issues(rows, file, column, INVALID_FORMAT, message))
    return issueframe.concat(issues)


def delta(check: FileCheck) -> pl.DataFrame:
    """Delta: status and dateLastModified on every row, and a sourcedId on deletions too."""
    file, values = check.schema.name, check.values
    fixes = {
        "status": "write active (insert or update) or tobedeleted (delete)",
        "dateLastModified": "write when the record last changed, like 2024-01-31T00:00:00Z",
    }
    empty = pl.lit(None, dtype=pl.String)
    issues = []
    for column, fix in fixes.items():
        if column not in values.columns:
            continue
        rows = values.filter(pl.col(column).is_null())
        message = pl.lit(
            REQUIRED_ATTRIBUTE.text("delta", column=column, manifest=MANIFEST, file=file, fix=fix)
        )
        issues.append(_record_issues(rows, file, column, REQUIRED_ATTRIBUTE, message, value=empty))
    if "sourcedId" in values.columns:
        rows = values.filter(_deleting(values) & pl.col("sourcedId").is_null())
        message = pl.lit(REQUIRED_ATTRIBUTE.text("deletion", column="sourcedId"))
        issues.append(
            _record_issues(rows, file, "sourcedId", REQUIRED_ATTRIBUTE, message, value=empty)
        )
    return issueframe.concat(issues)


def _org_types(check: FileCheck) -> pl.DataFrame | None:
    """sourcedId → type of the orgs this upload keeps, then of committed orgs."""
    frames = []
    state = check.states.get("orgs.csv")
    if state is not None:
        frames.append(state.survivors.select("sourcedId", "type"))
    committed = check.production.keys.get("orgs.csv") if check.production else None
    if committed is not None and {"sourcedId", "type"} <= set(committed.columns):
        frames.append(committed.select(pl.col("sourcedId", "type").cast(pl.String)))
    if not frames:
        return None
    return pl.concat(frames).unique(subset="sourcedId", keep="first", maintain_order=True)


def not_a_school(check: FileCheck, noun: str) -> pl.DataFrame:
    """Advisory (info): schoolSourcedId names an org of another type than school."""
    types = _org_types(check)
    column = "schoolSourcedId"
    if types is None or column not in check.normalized.columns:
        return issueframe.empty()
    rows = (
        check.normalized.filter(~_deleting(check.normalized))
        .select(ROW, column)
        .join(types, left_on=column, right_on="sourcedId", how="inner")
        .filter(pl.col("type").is_not_null() & (pl.col("type") != "school"))
    )
    message = REFERENCE_NOT_FOUND.expr(
        "not-a-school", column=column, value=pl.col(column), type=pl.col("type"), noun=noun
    )
    return _record_issues(
        rows, check.schema.name, column, REFERENCE_NOT_FOUND, message, level=Level.INFO
    )


def primary_teachers(check: FileCheck) -> pl.DataFrame:
    """Advisory (info): at most one `primary=true` teacher per class."""
    frame = check.normalized
    if not {"classSourcedId", "role", "primary"} <= set(frame.columns):
        return issueframe.empty()
    teachers = frame.filter(
        ~_deleting(frame)
        & (pl.col("role") == "teacher")
        & (pl.col("primary") == "true")
        & pl.col("classSourcedId").is_not_null()
    ).select(ROW, "classSourcedId", "primary")
    later = teachers.filter(~pl.col("classSourcedId").is_first_distinct())
    if not later.height:
        return issueframe.empty()
    first = teachers.group_by("classSourcedId").agg(pl.col(ROW).min().alias("__first"))
    message = UNIQUENESS_VIOLATION.expr(
        "primary", value=pl.col("classSourcedId"), n=pl.col("__first").cast(pl.String)
    )
    return _record_issues(
        later.join(first, on="classSourcedId", how="left"),
        check.schema.name,
        "primary",
        UNIQUENESS_VIOLATION,
        message,
        level=Level.INFO,
    )


def subject_codes(check: FileCheck) -> pl.DataFrame:
    """classes: subjectCodes has one code per subject when both are given."""
    values = check.values
    if not {"subjects", "subjectCodes"} <= set(values.columns):
        return issueframe.empty()
    counted = values.filter(
        pl.col("subjects").is_not_null() & pl.col("subjectCodes").is_not_null()
    ).with_columns(
        pl.col("subjects").str.split(",").list.len().alias("__subjects"),
        pl.col("subjectCodes").str.split(",").list.len().alias("__codes"),
    )
    rows = counted.filter(pl.col("__subjects") != pl.col("__codes"))
    message = INVALID_FORMAT.expr(
        "counts",
        column="subjectCodes",
        value=pl.col("subjectCodes"),
        count=pl.col("__codes").cast(pl.String),
        other="subjects",
        other_value=pl.col("subjects"),
        other_count=pl.col("__subjects").cast(pl.String),
    )
    return _record_issues(rows, check.schema.name, "subjectCodes", INVALID_FORMAT, message)
