"""Header rows of Passport files: loose matching, unknown, duplicate and missing columns."""

from __future__ import annotations

import json
import time

from rosterport.domain.checks.headers import map_loose
from rosterport.domain.schemas import get_model
from rosterport.domain.validator import Validation
from rosterport.reports.csv_report import report_csv
from rosterport.reports.text_report import report_text
from tests.conftest import check, district, issues, leveled, messages

ROSTER = get_model("passport-roster")
STUDENTS = ROSTER.file("students.csv")
ADMINS = ROSTER.file("admins.csv")


def test_names_match_ignoring_case_and_surrounding_spaces_in_any_order() -> None:
    header = ("last_name", " STUDENT_ID ", "First_Name", "School_id", "Dob", "grade")
    mapped = map_loose(STUDENTS, header, "students.csv")
    assert mapped.issues.height == 0
    assert not mapped.blocked
    assert mapped.positions == {
        "Last_name": 0,
        "Student_id": 1,
        "First_name": 2,
        "School_id": 3,
        "DOB": 4,
        "Grade": 5,
    }


def test_unknown_columns_are_info_with_a_did_you_mean_hint() -> None:
    header = ("School_id", "Student_id", "First_name", "Last_name", "Gendr", "Hair colour", "")
    mapped = map_loose(STUDENTS, header, "students.csv")
    assert not mapped.blocked
    assert mapped.issues.select("column", "code", "level").rows() == [
        ("Gendr", "unknown-column", "info"),
        ("Hair colour", "unknown-column", "info"),
    ]
    assert mapped.issues["message"].to_list() == [
        "column Gendr is not a column of students.csv; it is ignored; did you mean Gender?",
        "column Hair colour is not a column of students.csv; it is ignored",
    ]
    assert "Gender" not in mapped.positions


def test_same_letters_ignoring_underscores_and_spaces_is_a_hint() -> None:
    header = ("School_id", "Student_id", "First_name", "Last_name", "Graduation Year")
    mapped = map_loose(STUDENTS, header, "students.csv")
    (message,) = mapped.issues["message"]
    assert message.endswith("did you mean Graduation_year?")


def test_missing_required_column_blocks_the_file_with_a_hint() -> None:
    header = ("School_id", "Student ID", "First_name", "Last_name")
    mapped = map_loose(STUDENTS, header, "students.csv")
    assert mapped.blocked
    assert mapped.issues.select("column", "code", "level").rows() == [
        ("Student ID", "unknown-column", "info"),
        ("Student_id", "missing-column", "error"),
    ]
    assert mapped.issues["message"][1] == (
        "required column Student_id is missing from the header row of students.csv "
        "(is Student ID meant to be Student_id?); add it"
    )


def test_column_named_twice_blocks_the_file() -> None:
    header = ("School_id", "Student_id", "First_name", "Last_name", "student_id")
    mapped = map_loose(STUDENTS, header, "students.csv")
    assert mapped.blocked
    assert mapped.issues.select("column", "code", "level").rows() == [
        ("Student_id", "duplicate-column", "error")
    ]
    assert "(columns 2 and 5)" in mapped.issues["message"][0]


def test_optional_columns_may_be_left_out() -> None:
    mapped = map_loose(STUDENTS, ("School_id", "Student_id", "First_name", "Last_name"), "s.csv")
    assert mapped.issues.height == 0
    assert set(mapped.positions) == {"School_id", "Student_id", "First_name", "Last_name"}


def test_staff_column_names_are_read_as_admin_columns() -> None:
    header = ("School_id", "Staff_id", "staff_email", "First_name", "Last_name", "Title")
    mapped = map_loose(ADMINS, header, "staff.csv")
    assert mapped.issues.height == 0
    assert mapped.positions["Admin_email"] == 2
    assert mapped.positions["Admin_title"] == 5


# -- in an upload -----------------------------------------------------------------------------


def test_upload_with_header_case_and_spaces_is_valid() -> None:
    validation = check(district("student-spaces-and-case"))
    assert issues(validation.report) == []
    students = validation.records["students.csv"]
    assert students.select("Student_id", "First_name", "Grade", "Gender").rows()[:2] == [
        ("738733110", "Diane", "9", "F"),
        ("913113920", "Martha", "9", "F"),
    ]


def test_unknown_and_duplicate_columns_in_an_upload() -> None:
    validation = check(district("unknown-and-duplicate-columns"))
    assert leveled(validation.report) == [
        ("schools.csv", None, "Gendr", "unknown-column", "info"),
        ("teachers.csv", None, "Teacher_emial", "unknown-column", "info"),
        ("teachers.csv", None, "Favourite_colour", "unknown-column", "info"),
        ("teachers.csv", None, "Teacher_id", "duplicate-column", "error"),
    ]
    statuses = {f.name: f.status.value for f in validation.report.files}
    assert statuses["teachers.csv"] == "failed"
    assert statuses["schools.csv"] == "validated"
    assert not validation.valid


def test_missing_required_column_in_an_upload() -> None:
    validation = check(district("missing-required-column"))
    assert issues(validation.report) == [("students.csv", None, "Last_name", "missing-column")]
    assert not validation.valid


# -- hostile headers (adversarial pass, issue 10) --------------------------------------------


def reports(validation: Validation) -> tuple[str, str, bytes]:
    """The text, JSON and CSV renderings of a validation's report."""
    report = validation.report
    return report_text(report), json.dumps(report.to_dict(), ensure_ascii=False), report_csv(report)


def with_extra_header_cells(files: dict[str, bytes], name: str, cells: list[str]) -> None:
    """Add header cells to one file of `files` (and an empty field to each of its rows)."""
    header, *rows = files[name].decode().splitlines()
    extra = "," * len(cells)
    files[name] = "\n".join([header + "," + ",".join(cells), *(r + extra for r in rows)]).encode()


def test_a_5_mb_header_cell_validates_quickly_and_is_echoed_clipped() -> None:
    files = district()
    with_extra_header_cells(files, "students.csv", ["Gendr" + "x" * 5_000_000])
    started = time.monotonic()
    validation = check(files)
    text, as_json, as_csv = reports(validation)
    assert time.monotonic() - started < 5  # the edit distance took over 170 s
    assert issues(validation.report) == [
        ("students.csv", None, "Gendr" + "x" * 59 + "… (5,000,005 characters)", "unknown-column")
    ]
    assert messages(validation.report) == [
        f"column Gendr{'x' * 59}… (5,000,005 characters) is not a column of students.csv; it "
        "is ignored"
    ]  # no "did you mean": nothing that long is a near miss
    assert max(len(text), len(as_json), len(as_csv)) < 20_000


def test_100_000_columns_are_one_file_issue_quickly() -> None:
    files = district()
    width = len(files["students.csv"].split(b"\n", 1)[0].split(b",")) + 100_000
    with_extra_header_cells(files, "students.csv", [f"Column_{i}" for i in range(100_000)])
    started = time.monotonic()
    validation = check(files)
    text, as_json, as_csv = reports(validation)
    assert time.monotonic() - started < 5  # took 132 s and 2 GB
    assert issues(validation.report) == [("students.csv", None, None, "unreadable-file")]
    assert messages(validation.report) == [
        f"students.csv cannot be read: its header row has {width:,} columns, more than the limit "
        "of 2,000; keep only the columns of the data model (the templates list them), and "
        "check that row 1 is the header row"
    ]
    assert max(len(text), len(as_json), len(as_csv)) < 20_000


def test_many_unknown_columns_past_fifty_are_one_grouped_issue() -> None:
    files = district()
    cells = [f"Student_i{i}" for i in range(1_970)]  # near misses of Student_id
    with_extra_header_cells(files, "students.csv", cells)
    started = time.monotonic()
    validation = check(files)
    text, as_json, as_csv = reports(validation)
    assert time.monotonic() - started < 5
    found = issues(validation.report)
    assert len(found) == 51
    assert found[:50] == [("students.csv", None, c, "unknown-column") for c in cells[:50]]
    assert found[50] == ("students.csv", None, None, "unknown-column")
    assert messages(validation.report)[50] == (
        f"1,920 more columns of students.csv are not columns of students.csv (the first: "
        f"{cells[50]}, {cells[51]}, {cells[52]}); they are ignored; remove them, or check that "
        "row 1 is the header row"
    )
    assert max(len(text), len(as_json), len(as_csv)) < 50_000


def test_the_domain_bounds_a_header_of_100_000_cells_by_itself() -> None:
    header = ("School_id", *(f"Student_i{i}" for i in range(100_000)), "x" * 5_000_000)
    started = time.monotonic()
    mapped = map_loose(STUDENTS, header, "students.csv")
    assert time.monotonic() - started < 5
    assert mapped.issues.height == 50 + 1 + 3  # listed, grouped, missing required columns
    assert all(len(message) < 1_000 for message in mapped.issues["message"])
    assert mapped.issues["message"][-3] == (
        "required column Student_id is missing from the header row of students.csv (is "
        "Student_i0 meant to be Student_id?); add it"
    )
