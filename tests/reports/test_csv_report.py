"""The downloadable CSV error report: header, defused formulas, masked secrets."""

from __future__ import annotations

import csv
import io

import pytest

from rosterport.domain.checks import issueframe
from rosterport.domain.issues import INVALID_FORMAT, UNEXPECTED_FILE
from rosterport.domain.report import FileResult, FileStatus, Report
from rosterport.reports.csv_report import report_csv
from tests.conftest import check, district

HEADER = ["file", "row", "column", "value", "code", "level", "message"]


def rows_of(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so that Excel reads the file as UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def report_with_value(value: str) -> Report:
    issue = issueframe.file_issue(
        INVALID_FORMAT, "students.csv", "Grade is not a grade", column="Grade", value=value
    )
    result = FileResult("students.csv", FileStatus.FAILED, 1, 0, 0, 1)
    return Report("passport-roster", (result,), issue)


def test_header_and_one_row_per_issue() -> None:
    data = report_csv(check(district("student-bad-dob")).report)
    assert rows_of(data) == [
        HEADER,
        [
            "students.csv", "3", "DOB", "13/45/2010", "invalid-format", "error",
            "DOB '13/45/2010' is not a date; expected MM/DD/YYYY, M/D/YY or YYYY-MM-DD "
            "(not a real calendar day)",
        ],
        [
            "students.csv", "5", "DOB", "02/29/2005", "invalid-format", "error",
            "DOB '02/29/2005' is not a date; expected MM/DD/YYYY, M/D/YY or YYYY-MM-DD "
            "(not a real calendar day)",
        ],
    ]  # fmt: skip


def test_clean_upload_has_the_header_only() -> None:
    assert rows_of(report_csv(check(district()).report)) == [HEADER]


def test_file_issues_have_empty_row_and_column() -> None:
    files = district()
    files["notes.txt"] = b"x"
    (_, row) = rows_of(report_csv(check(files).report))
    assert row[:6] == ["notes.txt", "", "", "", "unexpected-file", "info"]


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x")', "+1", "-5", "@SUM(A1)", "\tx", "\rx", "=", "-"]
)
def test_cells_that_look_like_formulas_are_defused(value: str) -> None:
    (_, row) = rows_of(report_csv(report_with_value(value)))
    assert row[3] == "'" + value


@pytest.mark.parametrize("value", ["5", "a=b", " =1", "'quoted", "K-12", "x@y.org", ""])
def test_other_cells_are_written_as_they_are(value: str) -> None:
    (_, row) = rows_of(report_csv(report_with_value(value)))
    assert row[3] == value


def test_every_column_is_defused_not_only_values() -> None:
    issue = issueframe.file_issue(
        UNEXPECTED_FILE, "=cmd|' /C calc'!A0.csv", "=cmd|' /C calc'!A0.csv is not a file"
    )
    (_, row) = rows_of(report_csv(Report("passport-roster", (), issue)))
    assert row[0] == "'=cmd|' /C calc'!A0.csv"
    assert row[6] == "'=cmd|' /C calc'!A0.csv is not a file"


def test_formula_in_an_uploaded_value_is_defused_end_to_end() -> None:
    files = district()
    files["students.csv"] = files["students.csv"].replace(b",female,11/1/98,", b",female,=1+2,")
    (_, row) = rows_of(report_csv(check(files).report))
    assert row[:5] == ["students.csv", "2", "DOB", "'=1+2", "invalid-format"]
    assert row[6] == "DOB '=1+2' is not a date; expected MM/DD/YYYY, M/D/YY or YYYY-MM-DD"


def test_secrets_are_masked() -> None:
    files = district()
    files["teachers.csv"] = files["teachers.csv"].replace(b"zieWaex5coe", b"=zieWaex5\x01coe")
    data = report_csv(check(files).report)
    assert b"zieWaex5" not in data
    (_, row) = rows_of(data)
    assert row[:5] == ["teachers.csv", "2", "Password", "••••", "invalid-format"]


def test_multiline_values_stay_in_one_cell() -> None:
    (_, row) = rows_of(report_csv(report_with_value('line one\nline two, "quoted"')))
    assert row[3] == 'line one\nline two, "quoted"'
