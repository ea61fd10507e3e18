"""`passport-identity`: the basic people data needed to provision accounts, without classes."""

from __future__ import annotations

from rosterport.domain.formats import DATE, EMAIL, GENDER, GRADE, ID, SECRET, TEXT, choice_format
from rosterport.domain.schemas.model import Column, DataModel, FileSchema, Reference

ROLE = choice_format("role", "a staff role", ("teacher", "administrator", "staff"))

SCHOOLS = FileSchema(
    name="schools.csv",
    entity="school",
    key=("School_id",),
    columns=(Column("School_id", ID, required=True), Column("School_name", TEXT, required=True)),
)

STUDENTS = FileSchema(
    name="students.csv",
    entity="student",
    key=("School_id", "Student_id"),
    object_key=("Student_id",),
    required=False,
    columns=(
        Column("School_id", ID, required=True),
        Column("Student_id", ID, required=True),
        Column("First_name", TEXT, required=True),
        Column("Last_name", TEXT, required=True),
        Column("Middle_name", TEXT),
        Column("Grade", GRADE),
        Column("DOB", DATE),
        Column("Gender", GENDER),
        Column("Email", EMAIL),
        Column("Username", TEXT),
        Column("Password", SECRET),
    ),
)

STAFF = FileSchema(
    name="staff.csv",
    entity="staff member",
    key=("School_id", "Staff_id"),
    object_key=("Staff_id",),
    required=False,
    columns=(
        Column("School_id", ID, required=True),
        Column("Staff_id", ID, required=True),
        Column("First_name", TEXT, required=True),
        Column("Last_name", TEXT, required=True),
        Column("Email", EMAIL, required=True),
        Column("Role", ROLE, required=True, description="teacher, administrator or staff"),
        Column("Title", TEXT),
        Column("Username", TEXT),
        Column("Password", SECRET),
    ),
)

PASSPORT_IDENTITY = DataModel(
    name="passport-identity",
    title="Passport Basic Identity Data",
    description="Schools, students and staff: what is needed to provision user accounts.",
    # Schools first: students and staff name a school.
    files=(SCHOOLS, STUDENTS, STAFF),
    at_least_one_of=(("students.csv", "staff.csv"),),
    references=(
        Reference("students.csv", ("School_id",), "schools.csv", ("School_id",), noun="school"),
        Reference("staff.csv", ("School_id",), "schools.csv", ("School_id",), noun="school"),
    ),
)
