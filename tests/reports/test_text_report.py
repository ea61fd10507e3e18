"""The text summary for people: verdict, per-file counts, issues grouped with samples."""

from __future__ import annotations

import json

import pytest

from rosterport.domain.issue_type import Level
from rosterport.domain.policy import Policy
from rosterport.reports.text_report import printable, report_text
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


# -- terminal control characters (adversarial pass, issue 10) ---------------------------------


def test_terminal_control_characters_in_a_cell_are_shown_escaped() -> None:
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"Schmeler", b"Sch\x1b[2J\x07\x00meler")
    report = check(files).report
    text = report_text(report)
    assert "[ERROR] students.csv › Last_name: Invalid Format (1)" in text
    assert "    Last_name 'Sch\\x1b[2J\\x07\\x00meler' is not text; expected text without" in text
    assert "    values: 'Sch\\x1b[2J\\x07\\x00meler'\n" in text
    assert not set(text) & {"\x1b", "\x07", "\x00"}
    issue = report.to_dict()["issues"][0]  # (Contact_name holds Schmeler too)
    assert issue["value"] == "Sch\x1b[2J\x07\x00meler"  # the JSON report stays exact
    assert "\\u001b[2J\\u0007\\u0000" in json.dumps(issue)  # and JSON escapes it


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x1b", "\\x1b"),
        ("\x9b", "\\x9b"),  # C1: CSI in one character
        ("\x7f", "\\x7f"),
        ("\r", "\\r"),
        ("\n", "\\n"),
        ("\u202e", "\\u202e"),  # right-to-left override
        ("\u2028", "\\u2028"),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(char: str, shown: str) -> None:
    assert printable(f"a{char}b") == f"a{shown}b"


def test_printable_keeps_tabs_and_accents_and_cuts_long_texts() -> None:
    assert printable("é\tü 中") == "é\tü 中"
    assert printable("x" * 30, limit=10) == "x" * 10 + "… (20 more characters)"


def test_hostile_file_names_and_notes_are_escaped_too() -> None:
    files = district()
    files["evil\x1b]0;owned\x07.csv"] = b"x"
    text = report_text(check(files).report, ("zip entry \x1b[31mred\x1b[0m",))
    assert "note: zip entry \\x1b[31mred\\x1b[0m" in text
    assert "[INFO] evil\\x1b]0;owned\\x07.csv: Unexpected file (1)" in text
    assert "\x1b" not in text
    assert "\x07" not in text


def test_a_huge_value_is_cut_in_the_text_report() -> None:
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"Schmeler", b"\x01" + b"y" * 1_000_000)
    text = report_text(check(files).report)
    assert len(text) < 20_000
    assert "more characters)" in text
