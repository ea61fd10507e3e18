"""The stored reports of uploads: the breakdown the upload tool shows, pages of the full
issue list, and the CSV errors report, written as it is downloaded.

Every validation keeps its full issue list as one compressed Parquet file
(`reports/issue_file.py`); reports of uploads recorded before issue files are CSV files and
are paged and downloaded from those.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import polars as pl

from rosterport.domain.report import Report
from rosterport.reports import issue_file
from rosterport.reports.csv_report import csv_chunks
from rosterport.services.hub import Hub

BREAKDOWN_ROWS = 25  # rows listed per (file, column, issue type) in the breakdown
MAX_ISSUE_PAGE = 1000  # issues in one page of `issue_page`


def breakdown_json(report: Report) -> bytes:
    """What the upload tool shows of a report: per file status, and the issues grouped by
    file, column and issue type with their first rows (the full list is the issue file,
    paged by `issue_page`, downloaded as CSV by `report_chunks`)."""
    digest = {
        "model": report.model,
        "valid": report.valid,
        "summary": report.summary(),
        "files": [f.to_dict() for f in report.files],
        "notes": list(report.notes),
        "issues": report.issue_count,
        "groups": report.groups(samples=BREAKDOWN_ROWS).to_dicts(),
    }
    return json.dumps(digest, default=str).encode()


def report_chunks(hub: Hub, key: str) -> Iterator[bytes]:
    """The CSV error report stored under `key`, a part at a time: made from the issue file
    as it is read, or (uploads recorded before issue files) the CSV stored then."""
    if not key.endswith(issue_file.SUFFIX):
        with hub.blobs.open(key) as stored:
            while chunk := stored.read(1 << 20):
                yield chunk
        return
    with hub.blobs.local_copy(key) as path:
        yield from csv_chunks(issue_file.batches(path))


def issue_page(hub: Hub, key: str, query: issue_file.IssueQuery) -> issue_file.IssuePage:
    """A page of the issues stored under `key` (see `issue_file.page`), at most 1,000 rows;
    a report stored as CSV (before issue files) is paged from its CSV."""
    query = replace(query, limit=max(1, min(query.limit, MAX_ISSUE_PAGE)))
    with hub.blobs.local_copy(key) as path:
        if key.endswith(issue_file.SUFFIX):
            return issue_file.page(path, query)
        scan = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy").with_columns(
            pl.col("row").cast(pl.UInt32)
        )
        return issue_file.page_of(scan, query)
