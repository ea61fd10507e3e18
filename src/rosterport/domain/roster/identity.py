"""`passport-identity` → the canonical roster: orgs, users and demographics (no classes)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from rosterport.domain.roster import people
from rosterport.domain.roster.ids import staff_id, student_id
from rosterport.domain.roster.mapping import NO_SOURCE, not_delivered, rows, source_state
from rosterport.domain.roster.objects import District, build, empty
from rosterport.domain.roster.orgs import ORG_ROWS, school_orgs
from rosterport.domain.schemas.passport_identity import PASSPORT_IDENTITY

MODEL = PASSPORT_IDENTITY.name

STUDENT = people.PersonColumns(id="Student_id", email="Email", grade="Grade")
STAFF = people.PersonColumns(id="Staff_id", email="Email", middle_name=None)

# staff.csv Role → OneRoster user role; `staff` is an aide, with metadata.role "staff"
STAFF_ROLES = {"teacher": "teacher", "administrator": "administrator", "staff": "aide"}


def roster(states: Mapping[str, pl.DataFrame], district: District) -> dict[str, pl.DataFrame]:
    """The canonical roster of a passport-identity state."""

    def state(file: str) -> pl.DataFrame:
        return source_state(PASSPORT_IDENTITY, states, file)

    orgs, school_map = school_orgs(state("schools.csv"), district)
    students = people.merge_people(state("students.csv"), "Student_id", school_map)
    staff = people.merge_people(state("staff.csv"), "Staff_id", school_map)
    role = pl.col("Role")
    staff_users = people.users(
        staff,
        STAFF,
        sourced_id=staff_id(pl.col("Staff_id")),
        role=role.replace_strict(
            list(STAFF_ROLES), list(STAFF_ROLES.values()), default=None, return_dtype=pl.String
        ),
        metadata=pl.when(role == "staff").then(pl.struct(role.alias("role"))),
    )
    student_ids = student_id(pl.col("Student_id"))
    users = pl.concat(
        [
            people.users(students, STUDENT, sourced_id=student_ids, role=pl.lit("student")),
            staff_users,
        ],
        how="diagonal_relaxed",
    )
    return {
        "orgs": orgs,
        "academicSessions": empty("academicSessions"),
        "courses": empty("courses"),
        "classes": empty("classes"),
        "users": build("users", users),
        "enrollments": empty("enrollments"),
        "demographics": build(
            "demographics", people.demographics(students, sourced_id=student_ids)
        ),
    }


ROWS = rows(
    MODEL,
    [
        *ORG_ROWS,
        ("students.csv", "School_id", "users.orgs", "every school the student is listed at"),
        (
            "students.csv",
            "Student_id",
            "users.sourcedId demographics.sourcedId users.username",
            "as in passport-roster",
        ),
        ("students.csv", "First_name", "users.givenName", ""),
        ("students.csv", "Last_name", "users.familyName", ""),
        ("students.csv", "Middle_name", "users.middleName", ""),
        ("students.csv", "Grade", "users.grades", "its CEDS code"),
        ("students.csv", "DOB", "demographics.birthDate", ""),
        ("students.csv", "Gender", "demographics.sex", "M → male, F → female, X → other"),
        (
            "students.csv",
            "Email",
            "users.email users.username",
            "the username when there is no Username",
        ),
        ("students.csv", "Username", "users.username", ""),
        *not_delivered("students.csv", ("Password",), "a secret: never delivered"),
        ("staff.csv", "School_id", "users.orgs", "every school the staff member is listed at"),
        ("staff.csv", "Staff_id", "users.sourcedId", "`staff-` + Staff_id, whatever the role"),
        ("staff.csv", "First_name", "users.givenName", ""),
        ("staff.csv", "Last_name", "users.familyName", ""),
        (
            "staff.csv",
            "Email",
            "users.email users.username",
            "the username when there is no Username",
        ),
        (
            "staff.csv",
            "Role",
            "users.role users.metadata",
            "teacher → `teacher`, administrator → `administrator`, staff → `aide` with "
            '`metadata` `{"role": "staff"}`',
        ),
        *not_delivered("staff.csv", ("Title",), "no OneRoster 1.1 field for it"),
        ("staff.csv", "Username", "users.username", ""),
        *not_delivered("staff.csv", ("Password",), "a secret: never delivered"),
        (NO_SOURCE, NO_SOURCE, "users.role", "`student` for students.csv"),
        (NO_SOURCE, NO_SOURCE, "users.enabledUser", '`"true"`'),
    ],
)
