"""`passport-roster`: schools, students, teachers, admins, sections, enrollments.

Files follow the widely used Clever-like SIS export layout (spec/passport-roster.md).
"""

from __future__ import annotations

from rosterport.domain.formats import (
    DATE,
    EMAIL,
    FRL,
    GENDER,
    GRADE,
    ID,
    RACE,
    SECRET,
    STATE,
    SUBJECT,
    TEXT,
    YEAR,
    YES_NO,
    ZIP,
)
from rosterport.domain.issue_type import Level
from rosterport.domain.schemas.model import Column, DataModel, DateOrder, FileSchema, Reference

SCHOOLS = FileSchema(
    name="schools.csv",
    entity="school",
    description="One row per school.",
    key=("School_id",),
    columns=(
        Column("School_id", ID, required=True, description="The school's SIS identifier"),
        Column("School_name", TEXT, required=True),
        Column("School_number", TEXT),
        Column("State_id", TEXT),
        Column("Nces_id", TEXT),
        Column("Low_grade", GRADE),
        Column("High_grade", GRADE),
        Column("Principal", TEXT),
        Column("Principal_email", EMAIL),
        Column("School_address", TEXT),
        Column("School_city", TEXT),
        Column("School_state", STATE),
        Column("School_zip", ZIP),
        Column("School_phone", TEXT),
    ),
)

STUDENTS = FileSchema(
    name="students.csv",
    entity="student",
    description="One row per student and school (a student in two schools has two rows).",
    key=("School_id", "Student_id"),
    object_key=("Student_id",),
    columns=(
        Column("School_id", ID, required=True),
        Column("Student_id", ID, required=True, description="The student's SIS identifier"),
        Column("Student_number", TEXT),
        Column("State_id", TEXT),
        Column("Last_name", TEXT, required=True),
        Column("Middle_name", TEXT),
        Column("First_name", TEXT, required=True),
        Column("Grade", GRADE),
        Column("Gender", GENDER),
        Column("DOB", DATE, description="Date of birth"),
        Column("Race", RACE),
        Column("Hispanic_Latino", YES_NO),
        Column("Ell_status", YES_NO, description="English language learner"),
        Column("Frl_status", FRL, description="Free/reduced lunch"),
        Column("IEP_status", YES_NO),
        Column("Section_504_status", YES_NO),
        Column("Gifted_status", YES_NO),
        Column("Home_language", TEXT),
        Column("Graduation_year", YEAR),
        Column("Student_street", TEXT),
        Column("Student_city", TEXT),
        Column("Student_state", STATE),
        Column("Student_zip", ZIP),
        Column("Student_email", EMAIL),
        Column("Contact_name", TEXT),
        Column("Contact_type", TEXT),
        Column("Contact_relationship", TEXT),
        Column("Contact_phone", TEXT),
        Column("Contact_phone_type", TEXT),
        Column("Contact_email", EMAIL),
        Column("Contact_sis_id", TEXT),
        Column("Username", TEXT),
        Column("Password", SECRET),
    ),
)

TEACHERS = FileSchema(
    name="teachers.csv",
    entity="teacher",
    description="One row per teacher and school.",
    key=("School_id", "Teacher_id"),
    object_key=("Teacher_id",),
    columns=(
        Column("School_id", ID, required=True),
        Column("Teacher_id", ID, required=True),
        Column("Teacher_number", TEXT),
        Column("State_teacher_id", TEXT),
        Column("Last_name", TEXT, required=True),
        Column("Middle_name", TEXT),
        Column("First_name", TEXT, required=True),
        Column("Teacher_email", EMAIL),
        Column("Title", TEXT),
        Column("Username", TEXT),
        Column("Password", SECRET),
    ),
)

ADMINS = FileSchema(
    name="admins.csv",
    entity="administrator",
    description="School administrators (optional). staff.csv is read as admins.csv.",
    key=("School_id", "Staff_id"),
    object_key=("Staff_id",),
    required=False,
    aliases=("staff.csv",),
    columns=(
        Column("School_id", ID, required=True),
        Column("Staff_id", ID, required=True),
        Column("Admin_email", EMAIL, required=True, aliases=("Staff_email",)),
        Column("First_name", TEXT, required=True),
        Column("Last_name", TEXT, required=True),
        Column("Admin_title", TEXT, aliases=("Title",)),
        Column("Username", TEXT),
        Column("Password", SECRET),
    ),
)

_CO_TEACHERS = tuple(f"Teacher_{n}_id" for n in range(2, 11))

SECTIONS = FileSchema(
    name="sections.csv",
    entity="section",
    description="One row per section (class). Term_end must not be before Term_start.",
    key=("School_id", "Section_id"),
    object_key=("Section_id",),
    columns=(
        Column("School_id", ID, required=True),
        Column("Section_id", ID, required=True),
        Column("Teacher_id", ID, required=True, description="The main teacher"),
        *(Column(name, ID, description="A co-teacher") for name in _CO_TEACHERS),
        Column("Name", TEXT),
        Column("Section_number", TEXT),
        Column("Grade", GRADE),
        Column("Course_name", TEXT),
        Column("Course_number", TEXT),
        Column("Course_description", TEXT),
        Column("Period", TEXT),
        Column("Subject", SUBJECT),
        Column("Term_name", TEXT),
        Column("Term_start", DATE),
        Column("Term_end", DATE, description="Not before Term_start"),
    ),
)

ENROLLMENTS = FileSchema(
    name="enrollments.csv",
    entity="enrollment",
    description="One row per student in a section.",
    key=("School_id", "Section_id", "Student_id"),
    object_key=("Section_id", "Student_id"),
    columns=(
        Column("School_id", ID, required=True),
        Column("Section_id", ID, required=True),
        Column("Student_id", ID, required=True),
    ),
)


def _to_school(file: str) -> Reference:
    return Reference(file, ("School_id",), "schools.csv", ("School_id",), noun="school")


PASSPORT_ROSTER = DataModel(
    name="passport-roster",
    title="Passport Roster Data",
    description=(
        "Schools, students, teachers, administrators, sections and enrollments, in the "
        "Clever-like SIS export layout."
    ),
    # Dependency order: schools first (everything names a school), then people and sections,
    # enrollments last because they point at both students and sections.
    files=(SCHOOLS, STUDENTS, TEACHERS, ADMINS, SECTIONS, ENROLLMENTS),
    rules=(DateOrder("sections.csv", "Term_start", "Term_end"),),
    references=(
        _to_school("students.csv"),
        _to_school("teachers.csv"),
        _to_school("admins.csv"),
        _to_school("sections.csv"),
        _to_school("enrollments.csv"),
        Reference(
            "enrollments.csv", ("Section_id",), "sections.csv", ("Section_id",), noun="section"
        ),
        Reference(
            "enrollments.csv", ("Student_id",), "students.csv", ("Student_id",), noun="student"
        ),
        *(
            Reference(
                "sections.csv",
                (column,),
                "teachers.csv",
                ("Teacher_id",),
                filtering=False,
                fixed_level=Level.INFO,
                noun="teacher",
                note="a teacher may teach sections of a school other than in teachers.csv",
            )
            for column in ("Teacher_id", *_CO_TEACHERS)
        ),
        Reference(
            "enrollments.csv",
            ("School_id", "Section_id"),
            "sections.csv",
            ("School_id", "Section_id"),
            filtering=False,
            fixed_level=Level.INFO,
            noun="section of that school",
        ),
    ),
)
