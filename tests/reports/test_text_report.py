"""The text summary for people: verdict, per-file counts, issues grouped with samples."""

from __future__ import annotations

from rosterport.domain.issues import Level
from rosterport.domain.policy import Policy
from rosterport.reports.text_report import report_text
from tests.conftest import TODAY, check, district


def test_valid_upload() -> None:
    text = report_text(check(district()).report)
    lines = text.splitlines()
    assert lines[0] == "passport-roster: VALID (0 errors, 0 warnings, 0 notices)"
    assert lines[-1] == "No issues."
    students = next(line for line in lines if line.strip().startswith("students.csv"))
    assert students.split() == [
        "students.csv", "Validated", "and", "Uploaded", "5", "rows", "5", "accepted", "0",
        "filtered",
    ]  # fmt: skip


def test_invalid_upload_groups_issues_most_severe_first() -> None:
    text = report_text(check(district("student-bad-dob", "enrollment-unknown-student")).report)
    assert text.splitlines()[0] == (
        "passport-roster: NOT VALID: fix the errors below and upload again "
        "(2 errors, 1 warnings, 0 notices)"
    )
    assert "  students.csv     Validation failed " in text
    assert "2 rejected" in text
    error = text.index("[ERROR] students.csv › DOB: Invalid Format (2)")
    warning = text.index("[WARN] enrollments.csv › Student_id: Reference not found (1)")
    assert error < warning
    assert "    rows: 3, 5\n" in text
    assert "    values: '13/45/2010', '02/29/2005'\n" in text
    assert "    rows: 8\n" in text


def test_rows_are_cut_after_the_limit_with_an_ellipsis() -> None:
    files = district()
    files["enrollments.csv"] += b"".join(f"02M800,9{i:08d},642\n".encode() for i in range(7))
    text = report_text(check(files).report, rows=5)
    assert "[WARN] enrollments.csv › Student_id: Reference not found (7)" in text
    assert "    rows: 8, 9, 10, 11, 12 …\n" in text


def test_notes_come_first() -> None:
    text = report_text(check(district("staff-instead-of-admins")).report, ("chosen by name",))
    assert text.splitlines()[:2] == [
        "note: chosen by name",
        "note: staff.csv is read as admins.csv",
    ]


def test_file_issues_and_malformed_rows() -> None:
    files = district("malformed-students")
    files["notes.txt"] = b"x"
    text = report_text(check(files).report)
    assert "[ERROR] students.csv: Malformed row (2)" in text
    assert "[INFO] notes.txt: Unexpected file (1)" in text
    malformed = text[text.index("Malformed row") :]
    assert malformed.split("\n[", 1)[0].count("values:") == 0  # no value for a whole row


def test_secret_values_are_masked() -> None:
    files = district()
    files["teachers.csv"] = files["teachers.csv"].replace(b"zieWaex5coe", b"zieWaex5\x01coe")
    text = report_text(check(files).report)
    assert "zieWaex5" not in text
    assert "values: '••••'" in text


def test_info_issues_are_notices() -> None:
    policy = Policy(levels={"invalid-format": Level.INFO}, today=TODAY)
    text = report_text(check(district("student-bad-dob"), policy=policy).report)
    assert text.startswith("passport-roster: VALID (0 errors, 0 warnings, 2 notices)")
    assert "[INFO] students.csv › DOB: Invalid Format (2)" in text
