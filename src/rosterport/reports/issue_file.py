"""The full issue list of a stored upload: one compressed Parquet file.

It holds the contract's columns (`file,row,column,value,code,level,message`) in reading
order, written by polars' streaming engine from the report's compact issue frame (messages
are written out one morsel at a time, never all at once). A million issues take tens of
megabytes on disk instead of hundreds as CSV. Pages (`page`, with filters) and downloads
(`batches`, turned into CSV by `csv_report.csv_chunks`) read it back a part at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from rosterport.domain.checks.issueframe import ISSUE_COLUMNS, contract_exprs
from rosterport.domain.report import BATCH, Report

SUFFIX = ".parquet"
ROW_GROUP = 50_000  # issues per Parquet row group: what a page or a batch reads at least


def write_issue_file(report: Report, path: Path) -> None:
    """Write every issue of `report` to `path` (zstd-compressed Parquet)."""
    if not report.issues.height:  # an empty frame: the streaming sink needs no morsels
        pl.DataFrame(schema=dict.fromkeys(ISSUE_COLUMNS, pl.String)).with_columns(
            pl.col("row").cast(pl.UInt32)
        ).write_parquet(path, compression="zstd")
        return
    report.issues.lazy().select(contract_exprs()).sink_parquet(
        path, compression="zstd", row_group_size=ROW_GROUP
    )


def batches(path: Path, size: int = BATCH) -> Iterator[pl.DataFrame]:
    """The stored issues in reading order, `size` at a time (read a row group at a time)."""
    scan = pl.scan_parquet(path)
    total = int(scan.select(pl.len()).collect().item())
    for start in range(0, total, ROW_GROUP):
        group = scan.slice(start, ROW_GROUP).collect()
        for offset in range(0, group.height, size):
            yield group.slice(offset, size)


@dataclass(frozen=True, slots=True)
class IssuePage:
    """One page of stored issues and how many match the filters in all."""

    issues: pl.DataFrame
    total: int


@dataclass(frozen=True, slots=True)
class IssueQuery:
    """Which stored issues a page shows: issues `offset` … `offset + limit` of those that match
    every filter given (None: any)."""

    offset: int = 0
    limit: int = 100
    file: str | None = None
    column: str | None = None
    code: str | None = None
    level: str | None = None


def page(path: Path, query: IssueQuery) -> IssuePage:
    """The page `query` asks for of the issue file at `path`."""
    return page_of(pl.scan_parquet(path), query)


def page_of(scan: pl.LazyFrame, query: IssueQuery) -> IssuePage:
    """`page` over any scan of issues in the contract's columns (a stored CSV report too)."""
    for name in ("file", "column", "code", "level"):
        wanted = getattr(query, name)
        if wanted is not None:
            scan = scan.filter(pl.col(name) == wanted)
    total = int(scan.select(pl.len()).collect().item())
    rows = scan.slice(max(query.offset, 0), max(query.limit, 0)).collect()
    return IssuePage(rows, total)
