"""The stored reports of uploads (services/upload_reports.py): the breakdown, issue pages,
the CSV download."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from rosterport.reports import issue_file
from rosterport.reports.issue_file import IssueQuery
from rosterport.services import upload_reports as reports
from rosterport.services.hub import Hub
from tests.conftest import check, district

BAD_DOB_ROWS = 1_200  # more than one page can hold


def stored(hub: Hub) -> str:
    """A validation's issue file with BAD_DOB_ROWS refused dates, in blob storage."""
    files = district()
    header, first = files["students.csv"].decode().splitlines()[:2]
    cells = first.split(",")
    names = [name.lower() for name in header.split(",")]
    dob, key = names.index("dob"), names.index("student_id")
    rows = []
    for n in range(BAD_DOB_ROWS):
        cells[dob], cells[key] = "13/45/2010", f"9{n:08d}"
        rows.append(",".join(cells))
    files["students.csv"] = ("\n".join([header, *rows]) + "\n").encode()
    report = check(files).report

    def write(path: Path) -> None:
        issue_file.write_issue_file(report, path)

    hub.blobs.put_with("reports/test.issues.parquet", write)
    return "reports/test.issues.parquet"


def test_a_page_holds_at_most_a_thousand_issues_and_says_how_many_match(hub: Hub) -> None:
    key = stored(hub)
    page = reports.issue_page(hub, key, IssueQuery(limit=5_000))
    assert page.issues.height == reports.MAX_ISSUE_PAGE
    assert page.total >= BAD_DOB_ROWS
    dobs = reports.issue_page(hub, key, IssueQuery(column="DOB", offset=1_150, limit=100))
    assert dobs.total == BAD_DOB_ROWS
    assert dobs.issues.height == 50


def test_the_csv_report_is_every_issue_in_parts(hub: Hub) -> None:
    key = stored(hub)
    text = b"".join(reports.report_chunks(hub, key)).decode("utf-8-sig")  # Excel's BOM
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sum(1 for r in rows if r["column"] == "DOB") == BAD_DOB_ROWS
    assert rows[0].keys() >= {"file", "row", "column", "value", "code", "level", "message"}


def test_the_breakdown_holds_groups_not_issues() -> None:
    report = check(district("student-bad-dob")).report
    breakdown = json.loads(reports.breakdown_json(report))
    assert breakdown["issues"] == 2
    assert breakdown["valid"] is False
    (group,) = [g for g in breakdown["groups"] if g["column"] == "DOB"]
    assert group["count"] == 2


def test_a_report_stored_as_csv_before_issue_files_is_paged_the_same_way(hub: Hub) -> None:
    lines = ["file,row,column,value,code,level,message"]
    lines += [
        f"students.csv,{n},DOB,x,invalid-format,error,DOB 'x' is not a date" for n in range(2, 12)
    ]
    lines += ["enrollments.csv,2,Student_id,9,reference-not-found,warn,Student_id '9' …"]
    hub.blobs.put("reports/old-report.csv", ("\n".join(lines) + "\n").encode())
    page = reports.issue_page(
        hub, "reports/old-report.csv", IssueQuery(column="DOB", offset=8, limit=5)
    )
    assert page.total == 10
    assert page.issues["row"].to_list() == [10, 11]
    assert reports.issue_page(hub, "reports/old-report.csv", IssueQuery(level="warn")).total == 1
