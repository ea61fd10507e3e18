"""A stand-in for `rosterport.domain.roster.to_roster` (another branch writes the real one):
passport-roster states → OneRoster frames of exactly the contract's shape, built columnar.

Frames: `sourcedId`, `json` (the object without status/dateLastModified, relative `href`s),
`schools` (List[String]), and each collection's index columns."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

S = pl.String


def _ref(kind: str, column: str | pl.Expr) -> pl.Expr:
    value = pl.col(column) if isinstance(column, str) else column
    return pl.struct(
        pl.concat_str(pl.lit(f"/{kind}/"), value).alias("href"),
        value.alias("sourcedId"),
        pl.lit(kind.rstrip("s") if kind != "classes" else "class").alias("type"),
    )


def _json(*fields: pl.Expr) -> pl.Expr:
    return pl.struct(*fields).struct.json_encode().alias("json")


def to_roster(
    model: str, states: Mapping[str, pl.DataFrame], district_id: str, name: str
) -> dict[str, pl.DataFrame]:
    assert model == "passport-roster"
    schools = states["schools.csv"].select(pl.col("School_id").cast(S), pl.col("School_name"))
    students = states["students.csv"].with_columns(pl.col("Student_id").cast(S))
    teachers = states["teachers.csv"].with_columns(pl.col("Teacher_id").cast(S))
    sections = states["sections.csv"].with_columns(pl.col("Section_id").cast(S))
    enrollments = states["enrollments.csv"].with_columns(
        pl.col(c).cast(S) for c in ("Student_id", "Section_id")
    )
    district = pl.DataFrame(
        {"sourcedId": [district_id], "name": [name], "type": ["district"]}
    ).select(
        "sourcedId",
        _json(pl.col("sourcedId"), pl.col("name"), pl.col("type")),
        pl.lit([], pl.List(S)).alias("schools"),
        "type",
    )
    orgs = pl.concat(
        [
            district,
            schools.select(
                pl.col("School_id").alias("sourcedId"),
                _json(
                    pl.col("School_id").alias("sourcedId"),
                    pl.col("School_name").alias("name"),
                    pl.lit("school").alias("type"),
                    _ref("orgs", pl.lit(district_id)).alias("parent"),
                ),
                pl.concat_list(pl.col("School_id")).alias("schools"),
                pl.lit("school").alias("type"),
            ),
        ]
    )

    def people(frame: pl.DataFrame, key: str, role: str, email: str) -> pl.DataFrame:
        grouped = frame.group_by(key).agg(
            pl.col("School_id").cast(S).unique().sort().alias("schools"),
            pl.col("First_name").first(),
            pl.col("Last_name").first(),
            pl.col(email).first().alias("email"),
            pl.col("Username").first().alias("username"),
        )
        return grouped.select(
            pl.concat_str(pl.lit(f"{role}-"), pl.col(key)).alias("sourcedId"),
            _json(
                pl.concat_str(pl.lit(f"{role}-"), pl.col(key)).alias("sourcedId"),
                pl.col("username"),
                pl.col("First_name").alias("givenName"),
                pl.col("Last_name").alias("familyName"),
                pl.lit(role).alias("role"),
                pl.col(key).alias("identifier"),
                pl.col("email"),
                pl.col("schools")
                .list.eval(pl.concat_str(pl.lit("/orgs/"), pl.element()))
                .alias("orgs"),
            ),
            "schools",
            pl.lit(role).alias("role"),
            "email",
            "username",
            pl.col("First_name").alias("givenName"),
            pl.col("Last_name").alias("familyName"),
            pl.col(key).alias("identifier"),
        )

    users = pl.concat(
        [
            people(students, "Student_id", "student", "Student_email"),
            people(teachers, "Teacher_id", "teacher", "Teacher_email"),
        ]
    )
    terms = (
        sections.select(
            pl.col("School_id").cast(S).alias("school"),
            pl.concat_str(
                pl.lit("term-"), pl.col("School_id"), pl.lit("-"), pl.col("Term_name")
            ).alias("sourcedId"),
            pl.col("Term_name").alias("title"),
        )
        .unique("sourcedId")
        .select(
            "sourcedId",
            _json(
                pl.col("sourcedId"),
                pl.col("title"),
                pl.lit("term").alias("type"),
                _ref("orgs", "school").alias("org"),
            ),
            pl.concat_list("school").alias("schools"),
            pl.lit("term").alias("type"),
            "school",
        )
    )
    classes = sections.select(
        pl.col("Section_id").alias("sourcedId"),
        _json(
            pl.col("Section_id").alias("sourcedId"),
            pl.col("Name").alias("title"),
            pl.lit("scheduled").alias("classType"),
            _ref("orgs", pl.col("School_id").cast(S)).alias("school"),
        ),
        pl.concat_list(pl.col("School_id").cast(S)).alias("schools"),
        pl.col("School_id").cast(S).alias("school"),
        pl.concat_str(pl.lit("course-"), pl.col("Course_number").cast(S)).alias("course"),
        pl.concat_list(
            pl.concat_str(pl.lit("term-"), pl.col("School_id"), pl.lit("-"), pl.col("Term_name"))
        ).alias("terms"),
    )
    courses = (
        sections.select(
            pl.concat_str(pl.lit("course-"), pl.col("Course_number").cast(S)).alias("sourcedId"),
            pl.col("Course_name").alias("title"),
            pl.col("School_id").cast(S).alias("school"),
        )
        .unique("sourcedId")
        .select(
            "sourcedId",
            _json(pl.col("sourcedId"), pl.col("title"), _ref("orgs", "school").alias("org")),
            pl.concat_list("school").alias("schools"),
            "school",
        )
    )
    student_enrollments = enrollments.select(
        pl.concat_str(
            pl.lit("enr-"), pl.col("Section_id"), pl.lit("-s-"), pl.col("Student_id")
        ).alias("sourcedId"),
        pl.col("Section_id").alias("class"),
        pl.concat_str(pl.lit("student-"), pl.col("Student_id")).alias("user"),
        pl.lit("student").alias("role"),
        pl.col("School_id").cast(S).alias("school"),
    )
    teacher_enrollments = sections.filter(pl.col("Teacher_id").is_not_null()).select(
        pl.concat_str(
            pl.lit("enr-"), pl.col("Section_id"), pl.lit("-t-"), pl.col("Teacher_id").cast(S)
        ).alias("sourcedId"),
        pl.col("Section_id").alias("class"),
        pl.concat_str(pl.lit("teacher-"), pl.col("Teacher_id").cast(S)).alias("user"),
        pl.lit("teacher").alias("role"),
        pl.col("School_id").cast(S).alias("school"),
    )
    enrolled = pl.concat([student_enrollments, teacher_enrollments]).select(
        "sourcedId",
        _json(
            pl.col("sourcedId"),
            _ref("classes", "class").alias("class"),
            _ref("users", "user").alias("user"),
            _ref("orgs", "school").alias("school"),
            pl.col("role"),
        ),
        pl.concat_list("school").alias("schools"),
        "class",
        "user",
        "role",
        "school",
    )
    demographics = (
        students.group_by("Student_id")
        .agg(
            pl.col("School_id").cast(S).unique().sort().alias("schools"),
            pl.col("Gender").first().cast(S).alias("sex"),
        )
        .select(
            pl.concat_str(pl.lit("student-"), pl.col("Student_id")).alias("sourcedId"),
            _json(
                pl.concat_str(pl.lit("student-"), pl.col("Student_id")).alias("sourcedId"),
                pl.col("sex"),
            ),
            "schools",
        )
    )
    return {
        "orgs": orgs,
        "academicSessions": terms,
        "courses": courses,
        "classes": classes,
        "users": users,
        "enrollments": enrolled,
        "demographics": demographics,
    }
