"""Header rows of Passport files: loose matching, unknown, duplicate and missing columns."""

from __future__ import annotations

from rosterport.domain.checks.headers import map_loose
from rosterport.domain.schemas import get_model
from tests.conftest import check, district, issues, leveled

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
