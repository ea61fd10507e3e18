"""`passport-roster` → the canonical roster (spec roster-delivery.md §1)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from rosterport.domain.roster import classes, people
from rosterport.domain.roster.ids import staff_id, student_id, teacher_id
from rosterport.domain.roster.mapping import (
    NO_SOURCE,
    Row,
    not_delivered,
    rows,
    source_state,
)
from rosterport.domain.roster.objects import District, build
from rosterport.domain.roster.orgs import ORG_ROWS, school_orgs
from rosterport.domain.schemas.passport_roster import PASSPORT_ROSTER

MODEL = PASSPORT_ROSTER.name

STUDENT = people.PersonColumns(
    id="Student_id",
    email="Student_email",
    identifier="Student_number",
    state_id="State_id",
    grade="Grade",
)
TEACHER = people.PersonColumns(
    id="Teacher_id", email="Teacher_email", identifier="Teacher_number", state_id="State_teacher_id"
)
ADMIN = people.PersonColumns(id="Staff_id", email="Admin_email", middle_name=None)


def roster(states: Mapping[str, pl.DataFrame], district: District) -> dict[str, pl.DataFrame]:
    """The canonical roster of a passport-roster state."""

    def state(file: str) -> pl.DataFrame:
        return source_state(PASSPORT_ROSTER, states, file)

    orgs, school_map = school_orgs(state("schools.csv"), district, identifier="School_number")
    students = people.merge_people(state("students.csv"), "Student_id", school_map)
    teachers = people.merge_people(state("teachers.csv"), "Teacher_id", school_map)
    admins = people.merge_people(state("admins.csv"), "Staff_id", school_map)
    student_ids = student_id(pl.col("Student_id"))
    users = pl.concat(
        [
            people.users(students, STUDENT, sourced_id=student_ids, role=pl.lit("student")),
            people.users(
                teachers,
                TEACHER,
                sourced_id=teacher_id(pl.col("Teacher_id")),
                role=pl.lit("teacher"),
            ),
            people.users(
                admins, ADMIN, sourced_id=staff_id(pl.col("Staff_id")), role=pl.lit("administrator")
            ),
        ],
        how="diagonal_relaxed",
    )
    demographics = people.demographics(
        students, sourced_id=student_ids, race="Race", hispanic="Hispanic_Latino"
    )
    users_built = build("users", users)
    demographics_built = build("demographics", demographics)
    user_ids = users.select(pl.col("sourcedId").alias("user"), "role")
    del students, teachers, admins, users, demographics  # large: free before the classes
    sections = classes.class_rows(state("sections.csv"), school_map)
    sessions, sections = classes.terms(sections)
    courses, sections = classes.courses(sections)
    enrollments = classes.enrollments(
        sections,
        state("enrollments.csv"),
        students=user_ids.filter(pl.col("role") == "student").select("user"),
        teachers=user_ids.filter(pl.col("role") == "teacher").select("user"),
    )
    return {
        "orgs": orgs,
        "academicSessions": sessions,
        "courses": courses,
        "classes": classes.classes(sections),
        "users": users_built,
        "enrollments": enrollments,
        "demographics": demographics_built,
    }


_NAMES = (
    ("First_name", "users.givenName"),
    ("Middle_name", "users.middleName"),
    ("Last_name", "users.familyName"),
)


def _names(file: str, *, middle: bool = True) -> list[Row]:
    """The rows of a person file's name columns (admins.csv has no Middle_name)."""
    return [(file, c, target, "") for c, target in _NAMES if middle or c != "Middle_name"]


_TERM_KEY = "one term per (School_id, Term_name, Term_start, Term_end)"
_COURSE_KEY = "one course per (School_id, Course_number), else (School_id, Course_name)"

ROWS = rows(
    MODEL,
    [
        *ORG_ROWS,
        ("schools.csv", "School_number", "orgs.identifier", ""),
        *not_delivered(
            "schools.csv",
            (
                "State_id",
                "Nces_id",
                "Low_grade",
                "High_grade",
                "Principal",
                "Principal_email",
                "School_address",
                "School_city",
                "School_state",
                "School_zip",
                "School_phone",
            ),
            "OneRoster 1.1 orgs have no field for it",
        ),
        ("students.csv", "School_id", "users.orgs", "every school the student is listed at"),
        (
            "students.csv",
            "Student_id",
            "users.sourcedId demographics.sourcedId users.username",
            "the user id (`student-` prefixed only when it starts with a reserved prefix); "
            "the username when there is neither Username nor Student_email",
        ),
        ("students.csv", "Student_number", "users.identifier", ""),
        (
            "students.csv",
            "State_id",
            "users.userIds",
            '`{"type": "state", "identifier": State_id}`',
        ),
        *_names("students.csv"),
        (
            "students.csv",
            "Grade",
            "users.grades",
            "its CEDS code (`9` → `09`, Kindergarten → `KG`)",
        ),
        ("students.csv", "Gender", "demographics.sex", "M → male, F → female, X → other"),
        ("students.csv", "DOB", "demographics.birthDate", "ISO date"),
        (
            "students.csv",
            "Race",
            "demographics.americanIndianOrAlaskaNative demographics.asian "
            "demographics.blackOrAfricanAmerican demographics.nativeHawaiianOrOtherPacificIslander "
            "demographics.white demographics.demographicRaceTwoOrMoreRaces",
            'the flag of the code (I, A, B, P, W, M) "true", the other five "false"; none when '
            "not given",
        ),
        (
            "students.csv",
            "Hispanic_Latino",
            "demographics.hispanicOrLatinoEthnicity",
            'Y → "true", N → "false"',
        ),
        (
            "students.csv",
            "Student_email",
            "users.email users.username",
            "the username when there is no Username",
        ),
        ("students.csv", "Username", "users.username", ""),
        *not_delivered(
            "students.csv",
            (
                "Ell_status",
                "Frl_status",
                "IEP_status",
                "Section_504_status",
                "Gifted_status",
                "Home_language",
                "Graduation_year",
                "Student_street",
                "Student_city",
                "Student_state",
                "Student_zip",
            ),
            "program and address data: no OneRoster 1.1 field, and not needed by applications",
        ),
        *not_delivered(
            "students.csv",
            (
                "Contact_name",
                "Contact_type",
                "Contact_relationship",
                "Contact_phone",
                "Contact_phone_type",
                "Contact_email",
                "Contact_sis_id",
            ),
            "contacts are not delivered as guardian users",
        ),
        *not_delivered("students.csv", ("Password",), "a secret: never delivered"),
        (NO_SOURCE, NO_SOURCE, "users.role", "`student`, `teacher` or `administrator` by file"),
        (NO_SOURCE, NO_SOURCE, "users.enabledUser", '`"true"`'),
        ("teachers.csv", "School_id", "users.orgs", "every school the teacher is listed at"),
        (
            "teachers.csv",
            "Teacher_id",
            "users.sourcedId users.username",
            "`teacher-` + Teacher_id; the username when there is neither Username nor "
            "Teacher_email",
        ),
        ("teachers.csv", "Teacher_number", "users.identifier", ""),
        (
            "teachers.csv",
            "State_teacher_id",
            "users.userIds",
            '`{"type": "state", "identifier": State_teacher_id}`',
        ),
        *_names("teachers.csv"),
        (
            "teachers.csv",
            "Teacher_email",
            "users.email users.username",
            "the username when there is no Username",
        ),
        ("teachers.csv", "Username", "users.username", ""),
        *not_delivered("teachers.csv", ("Title",), "no OneRoster 1.1 field for it"),
        *not_delivered("teachers.csv", ("Password",), "a secret: never delivered"),
        ("admins.csv", "School_id", "users.orgs", "every school the administrator is listed at"),
        ("admins.csv", "Staff_id", "users.sourcedId", "`staff-` + Staff_id"),
        (
            "admins.csv",
            "Admin_email",
            "users.email users.username",
            "the username when there is no Username",
        ),
        *_names("admins.csv", middle=False),
        ("admins.csv", "Username", "users.username", ""),
        *not_delivered("admins.csv", ("Admin_title",), "no OneRoster 1.1 field for it"),
        *not_delivered("admins.csv", ("Password",), "a secret: never delivered"),
        (
            "sections.csv",
            "School_id",
            "classes.school courses.org enrollments.school courses.sourcedId "
            "academicSessions.sourcedId",
            "the class's school, also its course's org and its enrollments' school; part of "
            "the derived term and course ids",
        ),
        (
            "sections.csv",
            "Section_id",
            "classes.sourcedId enrollments.class enrollments.sourcedId",
            "the class id; teachers' enrollments",
        ),
        (
            "sections.csv",
            "Teacher_id",
            "enrollments.user enrollments.primary enrollments.sourcedId",
            'an enrollment of role teacher, primary "true"',
        ),
        *(
            (
                "sections.csv",
                column,
                "enrollments.user enrollments.sourcedId",
                'an enrollment of role teacher, primary "false"',
            )
            for column in classes.CO_TEACHERS
        ),
        ("sections.csv", "Name", "classes.title", ""),
        (
            "sections.csv",
            "Section_number",
            "classes.classCode classes.title",
            "the title, after Course_name, when there is no Name",
        ),
        (
            "sections.csv",
            "Grade",
            "classes.grades courses.grades",
            "CEDS code; a course has the grades of its classes",
        ),
        (
            "sections.csv",
            "Course_name",
            "courses.title classes.title courses.sourcedId classes.course",
            f"{_COURSE_KEY}; the class title with Section_number when there is no Name",
        ),
        (
            "sections.csv",
            "Course_number",
            "courses.courseCode courses.sourcedId courses.title classes.course",
            f"{_COURSE_KEY}; the course title when there is no Course_name",
        ),
        *not_delivered("sections.csv", ("Course_description",), "no OneRoster 1.1 field for it"),
        ("sections.csv", "Period", "classes.periods", ""),
        ("sections.csv", "Subject", "classes.subjects courses.subjects", ""),
        (
            "sections.csv",
            "Term_name",
            "academicSessions.title academicSessions.sourcedId classes.terms",
            f"{_TERM_KEY}; without a name the title is the dates",
        ),
        (
            "sections.csv",
            "Term_start",
            "academicSessions.startDate academicSessions.schoolYear academicSessions.sourcedId "
            "classes.terms",
            "the school year (July–June, named by its end) of the start",
        ),
        (
            "sections.csv",
            "Term_end",
            "academicSessions.endDate academicSessions.sourcedId classes.terms",
            "",
        ),
        (NO_SOURCE, NO_SOURCE, "academicSessions.type", "`term`"),
        (NO_SOURCE, NO_SOURCE, "classes.classType", "`scheduled`"),
        *not_delivered(
            "enrollments.csv", ("School_id",), "an enrollment's school is its class's school"
        ),
        ("enrollments.csv", "Section_id", "enrollments.class enrollments.sourcedId", ""),
        (
            "enrollments.csv",
            "Student_id",
            "enrollments.user enrollments.sourcedId",
            "the student's user id",
        ),
        (
            NO_SOURCE,
            NO_SOURCE,
            "enrollments.role",
            "`student` (enrollments.csv) or `teacher` (sections)",
        ),
        (NO_SOURCE, NO_SOURCE, "enrollments.primary", 'students "false"'),
    ],
)
