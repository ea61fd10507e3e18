"""Passport sections as OneRoster terms, courses, classes and enrollments.

- One class per Section_id (a Section_id listed at two schools: the row with the lowest
  School_id); sections of unknown schools are left out.
- Terms: one per (School_id, Term_name, Term_start, Term_end) of the classes; a section
  without any of the three has no term.
- Courses: one per (School_id, Course_number), else (School_id, Course_name), else — a
  section without either — one for the section alone, so that every class has its course.
- Enrollments: each enrollments.csv row (role student, primary false), and each class's
  Teacher_id (role teacher, primary true) and Teacher_2_id … Teacher_10_id (primary false);
  a teacher named in several of them is one enrollment, primary when any says so. An
  enrollment whose student or teacher is not a user of the roster is left out.
"""

from __future__ import annotations

import polars as pl

from rosterport.domain.roster import values
from rosterport.domain.roster.ids import (
    COURSE,
    TERM,
    digest_id,
    enrollment_id,
    key_text,
    student_id,
    teacher_id,
)
from rosterport.domain.roster.objects import TEXTS, build

PRIMARY_TEACHER = "Teacher_id"
CO_TEACHERS = tuple(f"Teacher_{n}_id" for n in range(2, 11))
_TERM_KEY = ["School_id", "Term_name", "Term_start", "Term_end"]
_COURSE_KEY = ["School_id", "course_by", "course_key"]


def _schools_of(org: str = "org") -> pl.Expr:
    return pl.concat_list(pl.col(org)).alias("schools")


def class_rows(sections: pl.DataFrame, school_map: pl.DataFrame) -> pl.DataFrame:
    """One section row per class, with `org` (its school's sourcedId), `term` and `course`."""
    rows = (
        sections.filter(pl.col("Section_id").is_not_null())
        .join(school_map, on="School_id", how="inner")
        .sort(["Section_id", "School_id"])
        .unique(subset=["Section_id"], keep="first", maintain_order=True)
    )
    return rows.with_columns(
        pl.when(pl.col("Course_number").is_not_null())
        .then(pl.lit("number"))
        .when(pl.col("Course_name").is_not_null())
        .then(pl.lit("name"))
        .otherwise(pl.lit("section"))
        .alias("course_by"),
        pl.coalesce("Course_number", "Course_name", "Section_id").alias("course_key"),
        pl.coalesce(
            "Name",
            pl.when(
                pl.col("Course_name").is_not_null() | pl.col("Section_number").is_not_null()
            ).then(
                pl.concat_str("Course_name", "Section_number", separator=" - ", ignore_nulls=True)
            ),
            "Section_id",
        ).alias("title"),
        values.ceds_grade(pl.col("Grade")).alias("grade"),
    )


def terms(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The academicSessions (type term) of the classes, and `rows` with each one's `term`."""
    has_term = pl.any_horizontal(pl.col(_TERM_KEY[1:]).is_not_null())
    keys = (
        rows.filter(has_term)
        .select(*_TERM_KEY, "org")
        .unique(subset=_TERM_KEY)
        .with_columns(digest_id(TERM, key_text(*(pl.col(c) for c in _TERM_KEY))).alias("term"))
    )
    dates = pl.concat_str("Term_start", "Term_end", separator=" – ", ignore_nulls=True)
    sessions = keys.select(
        pl.col("term").alias("sourcedId"),
        pl.coalesce("Term_name", dates).alias("title"),
        pl.col("Term_start").alias("startDate"),
        pl.col("Term_end").alias("endDate"),
        pl.lit("term").alias("type"),
        values.school_year(pl.coalesce("Term_start", "Term_end")).alias("schoolYear"),
        pl.col("org").alias("school"),
        _schools_of(),
    )
    with_terms = rows.join(
        keys.select(*_TERM_KEY, "term"), on=_TERM_KEY, how="left", nulls_equal=True
    )
    return build("academicSessions", sessions), with_terms


def courses(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The courses of the classes, and `rows` with each one's `course`.

    title: the first Course_name of its sections (by Section_id), else Course_number, else
    the class title; grades and subjects: those of its sections, in CEDS and
    alphabetical order."""
    ranked = rows.with_columns(
        pl.col("grade")
        .replace_strict(values.GRADE_ORDER, default=None, return_dtype=pl.Int32)
        .alias("grade_rank")
    )
    groups = ranked.group_by(*_COURSE_KEY, "org").agg(
        pl.col("Course_name").sort_by("Section_id").drop_nulls().first().alias("name"),
        pl.col("Course_number").drop_nulls().first().alias("courseCode"),
        pl.col("title").sort_by("Section_id").first().alias("class_title"),
        pl.col("grade")
        .sort_by("grade_rank")
        .drop_nulls()
        .unique(maintain_order=True)
        .alias("grades"),
        pl.col("Subject").drop_nulls().unique().sort().alias("subjects"),
    )
    groups = groups.with_columns(
        digest_id(COURSE, key_text(*(pl.col(c) for c in _COURSE_KEY))).alias("course")
    )
    fields = groups.select(
        pl.col("course").alias("sourcedId"),
        pl.coalesce("name", "courseCode", "class_title").alias("title"),
        pl.col("courseCode"),
        pl.col("grades").cast(TEXTS),
        pl.col("subjects").cast(TEXTS),
        pl.col("org"),
        _schools_of(),
    )
    with_courses = rows.join(groups.select(*_COURSE_KEY, "course"), on=_COURSE_KEY, how="left")
    return build("courses", fields), with_courses


def classes(rows: pl.DataFrame) -> pl.DataFrame:
    """The classes collection from rows with their `term` and `course`."""
    return build(
        "classes",
        rows.select(
            pl.col("Section_id").alias("sourcedId"),
            pl.col("title"),
            pl.col("Section_number").alias("classCode"),
            pl.lit("scheduled").alias("classType"),
            values.listed(pl.col("grade")).alias("grades"),
            values.listed(pl.col("Subject")).alias("subjects"),
            pl.col("course"),
            pl.col("org").alias("school"),
            values.listed(pl.col("term")).alias("terms"),
            values.listed(pl.col("Period")).alias("periods"),
            _schools_of(),
        ),
    )


def enrollments(
    rows: pl.DataFrame,
    enrolled: pl.DataFrame,
    students: pl.DataFrame,
    teachers: pl.DataFrame,
) -> pl.DataFrame:
    """The enrollments collection: `enrolled` (enrollments.csv) and the classes' teachers.

    `students`, `teachers`: the sourcedIds (column `user`) of the roster's users of each
    role; enrollments of anyone else are left out."""
    class_map = rows.select("Section_id", pl.col("School_id").alias("class_school"), "org")
    listed = (
        enrolled.lazy()
        .filter(pl.col("Section_id").is_not_null() & pl.col("Student_id").is_not_null())
        .join(class_map.lazy(), on="Section_id", how="inner")
        .select(
            "Section_id",
            student_id(pl.col("Student_id")).alias("user"),
            "org",
            (pl.col("School_id") == pl.col("class_school"))
            .fill_null(False)
            .alias("at_class_school"),
        )
        .join(students.lazy(), on="user", how="semi")
        .collect()
    )
    # A (School_id, Section_id, Student_id) key is unique in a state, so rows at the class's
    # own school are one per student and class; only rows naming another school (advisory,
    # rare) can repeat a pair, and are kept only when no other row has it.
    learners = listed.filter(pl.col("at_class_school"))
    elsewhere = listed.filter(~pl.col("at_class_school"))
    if elsewhere.height:
        elsewhere = elsewhere.unique(subset=["Section_id", "user"]).join(
            learners, on=["Section_id", "user"], how="anti"
        )
        learners = pl.concat([learners, elsewhere], how="vertical")
    learners = learners.select(
        "Section_id",
        "user",
        "org",
        pl.lit("student").alias("role"),
        pl.lit("false").alias("primary"),
    )
    slots = [c for c in (PRIMARY_TEACHER, *CO_TEACHERS) if c in rows.columns]
    staff = (
        rows.select("Section_id", "org", *slots)
        .unpivot(on=slots, index=["Section_id", "org"], variable_name="slot", value_name="id")
        .filter(pl.col("id").is_not_null())
        .select(
            "Section_id",
            teacher_id(pl.col("id")).alias("user"),
            "org",
            (pl.col("slot") == PRIMARY_TEACHER).alias("is_primary"),
        )
        .join(teachers, on="user", how="semi")
        .group_by("Section_id", "user", "org")
        .agg(pl.col("is_primary").any())
        .select(
            "Section_id",
            "user",
            "org",
            pl.lit("teacher").alias("role"),
            pl.when(pl.col("is_primary"))
            .then(pl.lit("true"))
            .otherwise(pl.lit("false"))
            .alias("primary"),
        )
    )
    fields = pl.concat([learners, staff], how="vertical").select(
        enrollment_id(pl.col("Section_id"), pl.col("user")).alias("sourcedId"),
        pl.col("user"),
        pl.col("Section_id").alias("class"),
        pl.col("org").alias("school"),
        pl.col("role"),
        pl.col("primary"),
        _schools_of(),
    )
    del listed, learners, staff  # only the fields are needed while encoding
    return build("enrollments", fields)
