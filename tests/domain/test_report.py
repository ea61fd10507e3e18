"""The report and its machine-readable JSON contract (spec/validation.md)."""

from __future__ import annotations

import json

from rosterport.domain.issue_type import Level
from rosterport.domain.policy import Policy
from tests.conftest import TODAY, check, district

CONTRACT_KEYS = {"model", "valid", "summary", "files", "issues"}
FILE_KEYS = {"name", "status", "rows", "accepted", "filtered"}
ISSUE_KEYS = ["file", "row", "column", "value", "code", "level", "message"]


def contract(payload: dict[str, object]) -> dict[str, object]:
    """The payload restricted to the contract's keys (extra keys may be added)."""
    files = payload["files"]
    issues = payload["issues"]
    assert isinstance(files, list)
    assert isinstance(issues, list)
    return {
        "model": payload["model"],
        "valid": payload["valid"],
        "summary": payload["summary"],
        "files": [{k: f[k] for k in FILE_KEYS} for f in files],
        "issues": [{k: i[k] for k in ISSUE_KEYS} for i in issues],
    }


def test_json_contract_of_an_invalid_upload() -> None:
    files = district("student-bad-dob", "enrollment-unknown-student")
    files["notes.txt"] = b"hello"
    payload = json.loads(json.dumps(check(files).report.to_dict()))
    assert set(payload) >= CONTRACT_KEYS
    assert contract(payload) == {
        "model": "passport-roster",
        "valid": False,
        "summary": {"error": 2, "warn": 1, "info": 1},
        "files": [
            {"name": "enrollments.csv", "status": "validated", "rows": 7, "accepted": 6,
             "filtered": 1},
            {"name": "schools.csv", "status": "validated", "rows": 2, "accepted": 2,
             "filtered": 0},
            {"name": "sections.csv", "status": "validated", "rows": 3, "accepted": 3,
             "filtered": 0},
            {"name": "students.csv", "status": "failed", "rows": 5, "accepted": 3,
             "filtered": 0},
            {"name": "teachers.csv", "status": "validated", "rows": 3, "accepted": 3,
             "filtered": 0},
        ],
        "issues": [
            {"file": "enrollments.csv", "row": 8, "column": "Student_id", "value": "999999999",
             "code": "reference-not-found", "level": "warn",
             "message": "Student_id '999999999' is not a student in students.csv; add it to "
             "students.csv or correct the value"},
            {"file": "students.csv", "row": 3, "column": "DOB", "value": "13/45/2010",
             "code": "invalid-format", "level": "error",
             "message": "DOB '13/45/2010' is not a date; expected MM/DD/YYYY, M/D/YY or "
             "YYYY-MM-DD (not a real calendar day)"},
            {"file": "students.csv", "row": 5, "column": "DOB", "value": "02/29/2005",
             "code": "invalid-format", "level": "error",
             "message": "DOB '02/29/2005' is not a date; expected MM/DD/YYYY, M/D/YY or "
             "YYYY-MM-DD (not a real calendar day)"},
            {"file": "notes.txt", "row": None, "column": None, "value": None,
             "code": "unexpected-file", "level": "info",
             "message": "notes.txt is not a file of passport-roster; it is ignored"},
        ],
    }  # fmt: skip


def test_flatten_gives_row_column_and_code_in_reading_order() -> None:
    report = check(district("student-bad-dob", "enrollment-unknown-student")).report
    assert report.flatten() == [
        [8, "Student_id", "reference-not-found"],
        [3, "DOB", "invalid-format"],
        [5, "DOB", "invalid-format"],
    ]
    assert report.flatten(("file", "level")) == [
        ["enrollments.csv", "warn"],
        ["students.csv", "error"],
        ["students.csv", "error"],
    ]


def test_issue_keys_are_in_contract_order() -> None:
    payload = check(district("student-bad-dob")).report.to_dict()
    assert list(payload["issues"][0]) == ISSUE_KEYS


def test_valid_when_only_warnings_and_notices() -> None:
    report = check(district("student-unknown-school", "section-unknown-co-teacher")).report
    payload = report.to_dict()
    assert payload["valid"] is True
    assert payload["summary"] == {"error": 0, "warn": 2, "info": 2}
    assert {i["level"] for i in payload["issues"]} == {"warn", "info"}


def test_clean_upload() -> None:
    payload = check(district()).report.to_dict()
    assert payload["valid"] is True
    assert payload["summary"] == {"error": 0, "warn": 0, "info": 0}
    assert payload["issues"] == []


def test_file_issues_come_first_within_their_file() -> None:
    files = district("unknown-and-duplicate-columns")
    files["teachers.csv"] = (
        b"School_id,Teacher_id,Last_name,First_name,Hobby\n02M800,47,,Braeden,chess\n"
    )
    payload = check(files).report.to_dict()
    teachers = [(i["row"], i["code"]) for i in payload["issues"] if i["file"] == "teachers.csv"]
    assert teachers[0] == (None, "unknown-column")
    assert (2, "required-attribute") in teachers


def test_groups_condense_issues_most_severe_first() -> None:
    files = district("student-bad-dob")
    files["enrollments.csv"] += b"".join(f"02M800,9{i:08d},642\n".encode() for i in range(5))
    report = check(files, policy=Policy(levels={"invalid-format": Level.ERROR}, today=TODAY))
    groups = report.report.groups(samples=3)
    assert groups.select("file", "column", "code", "level", "count").rows() == [
        ("students.csv", "DOB", "invalid-format", "error", 2),
        ("enrollments.csv", "Student_id", "reference-not-found", "warn", 5),
    ]
    rows = dict(zip(groups["code"], groups["rows"].to_list(), strict=True))
    values = dict(zip(groups["code"], groups["values"].to_list(), strict=True))
    assert rows == {"invalid-format": [3, 5], "reference-not-found": [8, 9, 10]}
    assert values["invalid-format"] == ["13/45/2010", "02/29/2005"]
    assert values["reference-not-found"] == ["900000000", "900000001", "900000002"]
