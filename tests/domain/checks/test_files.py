"""Which uploaded file is which model file: names, aliases, missing and unexpected files."""

from __future__ import annotations

from rosterport.csvio.reader import read_table
from rosterport.domain.checks.files import Table, match_loose
from rosterport.domain.policy import Mode
from rosterport.domain.schemas import get_model
from tests.conftest import check, district, issues, leveled, messages

ROSTER = get_model("passport-roster")
IDENTITY = get_model("passport-identity")
HEADER = b"School_id,School_name\nS1,One\n"


def uploaded(*names: str) -> list[Table]:
    return [read_table(name, HEADER) for name in names]


PlanIssue = tuple[str | None, int | None, str | None, str, str]


def plan_issues(model_name: str, names: list[str], mode: Mode = Mode.FULL) -> list[PlanIssue]:
    plan = match_loose(get_model(model_name), uploaded(*names), mode)
    return plan.issues.select("file", "row", "column", "code", "level").rows()


ALL_REQUIRED = ["schools.csv", "students.csv", "teachers.csv", "sections.csv", "enrollments.csv"]


def test_file_names_match_ignoring_case() -> None:
    plan = match_loose(
        ROSTER, uploaded("Schools.CSV", "STUDENTS.csv", *ALL_REQUIRED[2:]), Mode.FULL
    )
    assert plan.issues.height == 0
    assert plan.files["schools.csv"].name == "Schools.CSV"
    assert plan.files["students.csv"].name == "STUDENTS.csv"
    assert plan.modes == dict.fromkeys(ALL_REQUIRED, "full")


def test_missing_required_files_in_full_mode() -> None:
    assert plan_issues("passport-roster", ["schools.csv", "students.csv"]) == [
        ("teachers.csv", None, None, "missing-file", "error"),
        ("sections.csv", None, None, "missing-file", "error"),
        ("enrollments.csv", None, None, "missing-file", "error"),
    ]


def test_every_file_is_optional_in_incremental_mode() -> None:
    plan = match_loose(ROSTER, uploaded("enrollments.csv"), Mode.INCREMENTAL)
    assert plan.issues.height == 0
    assert plan.modes == {"enrollments.csv": "incremental"}


def test_unexpected_files_are_info_with_a_hint() -> None:
    plan = match_loose(ROSTER, uploaded(*ALL_REQUIRED, "student.csv", "notes.txt"), Mode.FULL)
    assert plan.issues.select("file", "code", "level").rows() == [
        ("student.csv", "unexpected-file", "info"),
        ("notes.txt", "unexpected-file", "info"),
    ]
    assert plan.issues["message"].to_list() == [
        "student.csv is not a file of passport-roster; it is ignored; did you mean students.csv?",
        "notes.txt is not a file of passport-roster; it is ignored",
    ]
    assert "student.csv" not in plan.files


def test_staff_csv_is_read_as_admins_csv() -> None:
    plan = match_loose(ROSTER, uploaded(*ALL_REQUIRED, "Staff.csv"), Mode.FULL)
    assert plan.issues.height == 0
    assert plan.files["admins.csv"].name == "Staff.csv"
    assert plan.notes == ("Staff.csv is read as admins.csv",)


def test_staff_csv_beside_admins_csv_is_unexpected() -> None:
    plan = match_loose(ROSTER, uploaded("staff.csv", *ALL_REQUIRED, "admins.csv"), Mode.FULL)
    assert plan.files["admins.csv"].name == "admins.csv"
    assert plan.issues.select("file", "code", "level").rows() == [
        ("staff.csv", "unexpected-file", "info")
    ]
    assert plan.issues["message"][0] == (
        "staff.csv is not a file of passport-roster (admins.csv is there too); it is ignored"
    )


def test_same_file_twice_in_other_cases_keeps_the_first() -> None:
    plan = match_loose(ROSTER, uploaded(*ALL_REQUIRED, "Students.csv"), Mode.FULL)
    assert plan.files["students.csv"].name == "students.csv"
    assert plan.issues.select("file", "code", "level").rows() == [
        ("Students.csv", "unexpected-file", "info")
    ]
    (message,) = plan.issues["message"]
    assert "is not a file of" not in message  # it is one: it is a second copy
    assert "did you mean" not in message
    assert "students.csv" in message


def test_identity_needs_students_or_staff() -> None:
    assert plan_issues("passport-identity", ["schools.csv"]) == [
        ("students.csv", None, None, "missing-file", "error")
    ]
    assert plan_issues("passport-identity", ["schools.csv", "staff.csv"]) == []
    assert plan_issues("passport-identity", ["schools.csv", "students.csv"]) == []
    assert plan_issues("passport-identity", ["students.csv"]) == [
        ("schools.csv", None, None, "missing-file", "error")
    ]


def test_identity_message_names_both_files() -> None:
    plan = match_loose(IDENTITY, uploaded("schools.csv"), Mode.FULL)
    assert plan.issues["message"].to_list() == [
        "passport-identity needs at least one of students.csv and staff.csv; add one"
    ]


# -- in an upload -----------------------------------------------------------------------------


def test_missing_file_blocks_the_upload() -> None:
    validation = check(district(without=["students.csv"]))
    assert issues(validation.report) == [("students.csv", None, None, "missing-file")]
    assert not validation.valid
    assert [f.name for f in validation.report.files] == [
        "enrollments.csv",
        "schools.csv",
        "sections.csv",
        "teachers.csv",
    ]


def test_unreadable_file_blocks_the_upload() -> None:
    validation = check(district("not-utf8"))
    assert leveled(validation.report) == [
        ("students.csv", None, None, "unreadable-file", "error"),
    ]
    (message,) = messages(validation.report)
    assert "Save it as 'CSV UTF-8" in message
    students = next(f for f in validation.report.files if f.name == "students.csv")
    assert (students.status.value, students.rows, students.accepted) == ("failed", 0, 0)


def test_unexpected_file_does_not_block_the_upload() -> None:
    files = district()
    files["README.txt"] = b"exported by our SIS"
    validation = check(files)
    assert leveled(validation.report) == [("README.txt", None, None, "unexpected-file", "info")]
    assert validation.valid
