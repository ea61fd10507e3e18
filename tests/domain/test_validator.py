"""The validator: levels, cascades, data requirements, modes, aliases, whole uploads."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest

from rosterport.csvio.reader import read_table
from rosterport.domain.inputs import ROW
from rosterport.domain.issue_type import Level
from rosterport.domain.policy import Mode, Policy, Production, Requirement
from rosterport.domain.schemas import get_model
from rosterport.domain.validator import Validation, validate
from rosterport.reports.json_report import write_report
from tests.conftest import (
    DATA,
    TODAY,
    check,
    district,
    files_in,
    issues,
    leveled,
    messages,
)


def policy(**levels: Level) -> Policy:
    return Policy(levels={code.replace("_", "-"): lvl for code, lvl in levels.items()}, today=TODAY)


def counts(validation: Validation) -> dict[str, tuple[str, int, int, int]]:
    """(status, rows, accepted, filtered) per uploaded file."""
    files = validation.report.files
    return {f.name: (f.status.value, f.rows, f.accepted, f.filtered) for f in files}


def test_valid_district() -> None:
    validation = check(district())
    assert validation.valid
    assert issues(validation.report) == []
    assert counts(validation) == {
        "enrollments.csv": ("validated", 6, 6, 0),
        "schools.csv": ("validated", 2, 2, 0),
        "sections.csv": ("validated", 3, 3, 0),
        "students.csv": ("validated", 5, 5, 0),
        "teachers.csv": ("validated", 3, 3, 0),
    }
    students = validation.records["students.csv"]
    assert students.select(ROW, "Student_id", "DOB", "Gender", "Grade").row(0) == (
        2,
        "738733110",
        "1998-11-01",
        "F",
        "9",
    )
    assert validation.records["sections.csv"]["Term_end"].to_list() == ["2016-06-01"] * 3


# -- levels -----------------------------------------------------------------------------------


def test_error_blocks_the_upload() -> None:
    validation = check(district("student-bad-dob"))
    assert leveled(validation.report) == [
        ("students.csv", 3, "DOB", "invalid-format", "error"),
        ("students.csv", 5, "DOB", "invalid-format", "error"),
    ]
    assert not validation.valid
    students = next(f for f in validation.report.files if f.name == "students.csv")
    assert (students.status.value, students.rows, students.rejected) == ("failed", 5, 2)


def test_warn_removes_the_record_and_cascades_each_reported_once() -> None:
    validation = check(district("student-bad-dob"), policy=policy(invalid_format=Level.WARN))
    assert leveled(validation.report) == [
        ("enrollments.csv", 4, "Student_id", "reference-not-found", "warn"),
        ("enrollments.csv", 6, "Student_id", "reference-not-found", "warn"),
        ("students.csv", 3, "DOB", "invalid-format", "warn"),
        ("students.csv", 5, "DOB", "invalid-format", "warn"),
    ]
    assert messages(validation.report)[:2] == [
        "Student_id '913113920' names a student that was removed from students.csv (row 3 has "
        "issues); fix that row and this record comes back",
        "Student_id '926639679' names a student that was removed from students.csv (row 5 has "
        "issues); fix that row and this record comes back",
    ]
    assert validation.valid
    assert validation.records["students.csv"][ROW].to_list() == [2, 4, 6]
    assert validation.records["enrollments.csv"][ROW].to_list() == [2, 3, 5, 7]
    assert counts(validation)["students.csv"] == ("validated", 5, 3, 2)
    assert counts(validation)["enrollments.csv"] == ("validated", 6, 4, 2)


def test_each_knock_on_of_a_filtered_student_is_its_own_line_from_one_template() -> None:
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"11/1/98", b"13/45/98")  # row 2
    validation = check(files, policy=policy(invalid_format=Level.WARN))
    cascade = validation.report.issues.filter(pl.col("code") == "reference-not-found")
    assert cascade["row"].to_list() == [2, 3]  # the student's two enrollments
    # compact: one template and the student's row for both, no sentence stored per issue
    assert cascade["template"].n_unique() == 1
    assert cascade["message"].is_null().all()
    assert cascade["n"].to_list() == [2, 2]
    written = messages(validation.report, "reference-not-found")
    assert (
        written
        == [
            "Student_id '738733110' names a student that was removed from students.csv (row 2 has "
            "issues); fix that row and this record comes back"
        ]
        * 2
    )
    buffer = io.BytesIO()
    write_report(buffer, validation.report)
    lines = [line for line in buffer.getvalue().split(b"\n") if b"reference-not-found" in line]
    assert len(lines) == 2  # one line each in the JSON contract
    assert [json.loads(line.strip().rstrip(b","))["row"] for line in lines] == [2, 3]
    assert validation.records["enrollments.csv"][ROW].to_list() == [4, 5, 6, 7]


def test_info_keeps_the_record() -> None:
    validation = check(district("student-bad-dob"), policy=policy(invalid_format=Level.INFO))
    assert leveled(validation.report) == [
        ("students.csv", 3, "DOB", "invalid-format", "info"),
        ("students.csv", 5, "DOB", "invalid-format", "info"),
    ]
    assert validation.valid
    assert validation.records["students.csv"][ROW].to_list() == [2, 3, 4, 5, 6]
    assert validation.records["enrollments.csv"].height == 6
    assert counts(validation)["students.csv"] == ("validated", 5, 5, 0)


def test_reference_level_override() -> None:
    as_error = check(
        district("enrollment-unknown-student"), policy=policy(reference_not_found=Level.ERROR)
    )
    assert leveled(as_error.report) == [
        ("enrollments.csv", 8, "Student_id", "reference-not-found", "error")
    ]
    assert not as_error.valid
    by_default = check(district("enrollment-unknown-student"))
    assert leveled(by_default.report) == [
        ("enrollments.csv", 8, "Student_id", "reference-not-found", "warn")
    ]
    assert by_default.valid
    assert counts(by_default)["enrollments.csv"] == ("validated", 7, 6, 1)


def test_file_issue_levels_cannot_be_changed() -> None:
    with pytest.raises(ValueError, match="fixed"):
        Policy(today=TODAY, levels={"missing-file": Level.INFO})


def test_malformed_rows_and_blank_lines() -> None:
    validation = check(district("malformed-students"))
    assert issues(validation.report) == [
        ("students.csv", 4, None, "malformed-row"),
        ("students.csv", 5, None, "malformed-row"),
        ("students.csv", 5, "First_name", "required-attribute"),
    ]
    assert not validation.valid


def test_cr_line_endings_keep_spreadsheet_rows() -> None:
    validation = check(district("cr-line-endings"))
    assert issues(validation.report) == [("students.csv", 4, "Gender", "invalid-format")]
    assert messages(validation.report) == [
        "Gender 'girl' is not a gender; expected M, F, X (or male, female, nonbinary)"
    ]


# -- data requirements ------------------------------------------------------------------------


def test_report_if_missing_keeps_and_skip_if_missing_removes() -> None:
    files = district()
    files["students.csv"] = (
        files["students.csv"].replace(b"diane.s@example.org", b"").replace(b",(336)533", b",  ")
    )
    requirements = {
        ("students.csv", "Student_email"): Requirement.SKIP,
        ("students.csv", "Contact_phone"): Requirement.REPORT,
    }
    validation = check(files, policy=Policy(requirements=requirements, today=TODAY))
    assert leveled(validation.report) == [
        ("enrollments.csv", 2, "Student_id", "reference-not-found", "warn"),
        ("enrollments.csv", 3, "Student_id", "reference-not-found", "warn"),
        ("students.csv", 2, "Student_email", "required-attribute", "warn"),
    ]
    assert validation.valid
    assert validation.records["students.csv"][ROW].to_list() == [3, 4, 5, 6]


def test_requirement_on_a_column_the_file_leaves_out() -> None:
    requirements = {
        ("students.csv", "Graduation_year"): Requirement.REPORT,
        ("teachers.csv", "Title"): Requirement.SKIP,
    }
    files = district()
    files["teachers.csv"] = b"School_id,Teacher_id,Last_name,First_name\n02M800,47,Glover,B\n"
    validation = check(files, policy=Policy(requirements=requirements, today=TODAY))
    # the attribute is missing from every record: each is reported (and skipped) as if empty
    required = [i for i in leveled(validation.report) if i[3] == "required-attribute"]
    assert required == [
        ("students.csv", 2, "Graduation_year", "required-attribute", "info"),
        ("students.csv", 3, "Graduation_year", "required-attribute", "info"),
        ("students.csv", 4, "Graduation_year", "required-attribute", "info"),
        ("students.csv", 5, "Graduation_year", "required-attribute", "info"),
        ("students.csv", 6, "Graduation_year", "required-attribute", "info"),
        ("teachers.csv", 2, "Title", "required-attribute", "warn"),
    ]
    assert validation.records["students.csv"].height == 5
    assert validation.records["teachers.csv"].height == 0


# -- modes and production ---------------------------------------------------------------------

PRODUCTION = Production(
    keys={
        "schools.csv": pl.DataFrame({"School_id": ["02M800", "13K123"]}),
        "students.csv": pl.DataFrame({"School_id": ["02M800"], "Student_id": ["555"]}),
        "sections.csv": pl.DataFrame({"School_id": ["02M800"], "Section_id": ["642"]}),
    }
)


def test_incremental_mode_resolves_against_production_and_the_upload() -> None:
    files = {
        "students.csv": b"School_id,Student_id,Last_name,First_name\n02M800,777,New,Kid\n",
        "enrollments.csv": (
            b"School_id,Student_id,Section_id\n"
            b"02M800,555,642\n"  # both in production
            b"02M800,777,642\n"  # student in this upload
            b"02M800,888,642\n"  # student nowhere
            b"99X999,555,642\n"  # school nowhere
        ),
    }
    validation = check(
        files,
        policy=Policy(mode=Mode.INCREMENTAL, today=TODAY),
        production=PRODUCTION,
    )
    assert leveled(validation.report) == [
        ("enrollments.csv", 4, "Student_id", "reference-not-found", "warn"),
        ("enrollments.csv", 5, "School_id", "reference-not-found", "warn"),
    ]
    assert validation.valid
    assert validation.modes == {"students.csv": "incremental", "enrollments.csv": "incremental"}
    assert validation.records["enrollments.csv"][ROW].to_list() == [2, 3]


def test_full_mode_does_not_resolve_against_production() -> None:
    files = district()
    files["enrollments.csv"] += b"02M800,555,642\n"
    validation = check(files, production=PRODUCTION)
    assert issues(validation.report) == [
        ("enrollments.csv", 8, "Student_id", "reference-not-found"),
    ]


def test_incremental_mode_offline_notes_what_it_could_not_check() -> None:
    files = {"enrollments.csv": district()["enrollments.csv"]}
    validation = check(files, policy=Policy(mode=Mode.INCREMENTAL, today=TODAY))
    assert issues(validation.report) == []
    assert validation.valid
    unchecked = [n for n in validation.report.notes if "was not checked against" in n]
    assert [n.split(":")[0] for n in unchecked] == [
        "enrollments.csv School_id was not checked against schools.csv",
        "enrollments.csv Section_id was not checked against sections.csv",
        "enrollments.csv Student_id was not checked against students.csv",
        "enrollments.csv School_id + Section_id was not checked against sections.csv",
    ]
    assert all("production data is not available here" in n for n in unchecked)


# -- staff.csv and the identity model ---------------------------------------------------------


def test_staff_csv_is_read_as_admins_csv() -> None:
    validation = check(district("staff-instead-of-admins"))
    assert validation.valid
    assert issues(validation.report) == []
    assert validation.report.notes == ("staff.csv is read as admins.csv",)
    assert "staff.csv" in counts(validation)
    admins = validation.records["admins.csv"]
    assert admins.select("Staff_id", "Admin_email", "Admin_title").rows() == [
        ("A1", "TKhan@mailinator.com", "Principal"),
        ("A2", "ceciliar@mailinator.com", "Principal"),
    ]


def test_issues_of_staff_csv_name_staff_csv() -> None:
    files = district()
    files["staff.csv"] = (
        b"School_id,Staff_id,Staff_email,First_name,Last_name\n"
        b"02M800,A1,not-an-email,Theodora,Khan\n"
        b"99X999,A2,c@x.org,Cecilia,Roderick\n"
    )
    validation = check(files)
    assert issues(validation.report) == [
        ("staff.csv", 2, "Admin_email", "invalid-format"),
        ("staff.csv", 3, "School_id", "reference-not-found"),
    ]


def test_staff_csv_beside_admins_csv_is_ignored() -> None:
    validation = check(district("admins-and-staff"))
    assert leveled(validation.report) == [("staff.csv", None, None, "unexpected-file", "info")]
    assert validation.records["admins.csv"]["Staff_id"].to_list() == ["A1"]


def test_identity_with_students_and_staff() -> None:
    validation = check(files_in(DATA / "passport-identity" / "valid"), model="passport-identity")
    assert validation.valid
    assert issues(validation.report) == []
    staff = validation.records["staff.csv"]
    assert staff.select("Staff_id", "Email", "Role").rows() == [
        ("47", "braeden_glover@example.net", "teacher"),
        ("A2", "ceciliar@mailinator.com", "administrator"),
    ]


@pytest.mark.parametrize("kept", ["students.csv", "staff.csv"])
def test_identity_needs_only_one_of_students_and_staff(kept: str) -> None:
    files = files_in(DATA / "passport-identity" / "valid")
    dropped = "staff.csv" if kept == "students.csv" else "students.csv"
    del files[dropped]
    validation = check(files, model="passport-identity")
    assert validation.valid
    assert issues(validation.report) == []


def test_identity_without_students_or_staff_is_invalid() -> None:
    files = {"schools.csv": files_in(DATA / "passport-identity" / "valid")["schools.csv"]}
    validation = check(files, model="passport-identity")
    assert issues(validation.report) == [("students.csv", None, None, "missing-file")]
    assert not validation.valid


def test_identity_staff_issues() -> None:
    files = files_in(DATA / "passport-identity" / "valid")
    files["staff.csv"] += b"02M800,S9,Pat,Doe,,janitor,\n99X999,S10,Sam,Roe,s@x.org,staff,\n"
    validation = check(files, model="passport-identity")
    assert leveled(validation.report) == [
        ("staff.csv", 4, "Email", "required-attribute", "error"),
        ("staff.csv", 4, "Role", "invalid-format", "error"),
        ("staff.csv", 5, "School_id", "reference-not-found", "warn"),
    ]


def test_warn_on_a_duplicate_removes_only_the_later_row() -> None:
    validation = check(
        district("duplicate-student-key"), policy=policy(uniqueness_violation=Level.WARN)
    )
    assert leveled(validation.report) == [
        ("students.csv", 8, "Student_id", "uniqueness-violation", "warn"),
    ]
    assert validation.records["students.csv"][ROW].to_list() == [2, 3, 4, 5, 6, 7]
    assert validation.records["enrollments.csv"].height == 6  # 913113920 is still there


def test_term_end_before_term_start() -> None:
    files = district()
    files["sections.csv"] = files["sections.csv"].replace(
        b"Y1,8/1/15,6/1/16\n02M800,667", b"Y1,8/1/15,6/1/14\n02M800,667"
    )
    validation = check(files)
    assert issues(validation.report) == [("sections.csv", 2, "Term_end", "invalid-format")]
    assert messages(validation.report) == [
        "Term_end 2014-06-01 is before Term_start 2015-08-01; it must be on or after it"
    ]


def test_admins_csv_is_optional_and_checked_when_given() -> None:
    validation = check(district("with-admins"))
    assert validation.valid
    assert validation.records["admins.csv"].select("Staff_id", "Admin_email").rows() == [
        ("A1", "tkhan@mailinator.com")
    ]
    files = district("with-admins")
    files["admins.csv"] += b"99X999,A9,x@y.org,Pat,Doe,\n"
    assert issues(check(files).report) == [("admins.csv", 3, "School_id", "reference-not-found")]


def test_a_report_only_validation_keeps_only_what_later_files_read() -> None:
    """`keep_records=False`: the same report, cascade included, while each checked file keeps
    only its row, keys and reference targets (1M students' 33 columns are not held while
    8M enrollments are read)."""
    files = district("student-bad-dob")
    warn = policy(invalid_format=Level.WARN)
    whole = check(files, policy=warn)
    tables = [read_table(name, data) for name, data in files.items()]
    lean = validate(get_model("passport-roster"), tables, warn, keep_records=False)
    assert lean.report.flatten() == whole.report.flatten()
    assert messages(lean.report) == messages(whole.report)
    assert counts(lean) == counts(whole)
    students = lean.records["students.csv"]
    assert students[ROW].to_list() == [2, 4, 6]
    assert "Student_id" in students.columns
    assert "Last_name" not in students.columns
    assert "DOB" not in students.columns
    assert len(students.columns) < len(whole.records["students.csv"].columns)
