"""A generated passport-roster district of any size, built columnar (as production states)."""

from __future__ import annotations

import polars as pl

from rosterport.domain.production_state import conform_state
from rosterport.domain.schemas import get_model

GRADES = ["Kindergarten", *(str(n) for n in range(1, 13))]
SUBJECTS = ["Math", "Science", "English/language arts", "Social studies", "Arts and music"]


def generated_district(
    students: int, *, schools: int = 40, per_section: int = 25
) -> dict[str, pl.DataFrame]:
    """`students` students in `schools` schools (every 50th also at a second school), six
    sections each, one teacher per four sections, co-teachers on every tenth section."""
    model = get_model("passport-roster")
    n = pl.int_range(0, pl.len())
    school_rows = pl.DataFrame({"i": range(schools)}).select(
        pl.format("S{}", pl.col("i")).alias("School_id"),
        pl.format("School {}", pl.col("i")).alias("School_name"),
        pl.format("{}", pl.col("i") + 100).alias("School_number"),
    )
    base = pl.DataFrame({"i": range(students)})
    student_rows = base.select(
        pl.format("S{}", pl.col("i") % schools).alias("School_id"),
        pl.format("{}", pl.col("i") + 1_000_000).alias("Student_id"),
        pl.format("N{}", pl.col("i")).alias("Student_number"),
        pl.format("ST{}", pl.col("i")).alias("State_id"),
        pl.format("Last{}", pl.col("i") % 997).alias("Last_name"),
        pl.format("First{}", pl.col("i") % 1009).alias("First_name"),
        pl.lit(GRADES).list.get(pl.col("i") % len(GRADES)).alias("Grade"),
        pl.lit(["M", "F", "X"]).list.get(pl.col("i") % 3).alias("Gender"),
        pl.lit("2010-05-04").alias("DOB"),
        pl.lit(["A", "B", "W", "M", None]).list.get(pl.col("i") % 5).alias("Race"),
        pl.lit(["Y", "N"]).list.get(pl.col("i") % 2).alias("Hispanic_Latino"),
        pl.format("s{}@example.org", pl.col("i")).alias("Student_email"),
        pl.format("user{}", pl.col("i")).alias("Username"),
        pl.lit("secret-password").alias("Password"),
    )
    second = student_rows.filter(n % 50 == 0).with_columns(
        pl.format("S{}", (pl.col("Student_id").cast(pl.Int64) + 1) % schools).alias("School_id")
    )
    sections_count = max(1, students * 6 // per_section)
    teachers_count = max(1, sections_count // 4)
    teacher_rows = pl.DataFrame({"i": range(teachers_count)}).select(
        pl.format("S{}", pl.col("i") % schools).alias("School_id"),
        pl.format("{}", pl.col("i") + 1_000_000).alias("Teacher_id"),  # same ids as students
        pl.format("T{}", pl.col("i")).alias("Teacher_number"),
        pl.format("TLast{}", pl.col("i")).alias("Last_name"),
        pl.format("TFirst{}", pl.col("i")).alias("First_name"),
        pl.format("t{}@example.org", pl.col("i")).alias("Teacher_email"),
        pl.lit("teacher-password").alias("Password"),
    )
    section_rows = pl.DataFrame({"i": range(sections_count)}).select(
        pl.format("S{}", pl.col("i") % schools).alias("School_id"),
        pl.format("{}", pl.col("i") + 5_000_000).alias("Section_id"),
        # a teacher of the same school: teacher j is at school j % schools
        pl.format("{}", (pl.col("i") // 4) + 1_000_000).alias("Teacher_id"),
        pl.when(pl.col("i") % 10 == 0)
        .then(pl.format("{}", ((pl.col("i") // 4) + 1) % teachers_count + 1_000_000))
        .alias("Teacher_2_id"),
        pl.format("{}", pl.col("i") % 9 + 1).alias("Section_number"),
        pl.lit(GRADES).list.get(pl.col("i") % len(GRADES)).alias("Grade"),
        pl.format("Course {}", pl.col("i") % 300).alias("Course_name"),
        pl.format("C{}", pl.col("i") % 300).alias("Course_number"),
        pl.format("{}", pl.col("i") % 8 + 1).alias("Period"),
        pl.lit(SUBJECTS).list.get(pl.col("i") % len(SUBJECTS)).alias("Subject"),
        pl.lit(["S1", "S2"]).list.get(pl.col("i") % 2).alias("Term_name"),
        pl.lit(["2025-08-15", "2026-01-10"]).list.get(pl.col("i") % 2).alias("Term_start"),
        pl.lit(["2026-01-09", "2026-06-15"]).list.get(pl.col("i") % 2).alias("Term_end"),
    )
    # six sections per student, all of the student's school (section k is at school k % schools)
    per_school = max(1, sections_count // schools)
    enrollment_rows = (
        base.select(pl.col("i"), pl.int_ranges(0, 6).alias("k"))
        .explode("k")
        .select(
            pl.format("S{}", pl.col("i") % schools).alias("School_id"),
            pl.format(
                "{}",
                ((pl.col("i") // schools * 6 + pl.col("k")) % per_school) * schools
                + pl.col("i") % schools
                + 5_000_000,
            ).alias("Section_id"),
            pl.format("{}", pl.col("i") + 1_000_000).alias("Student_id"),
        )
        .unique()
    )
    frames = {
        "schools.csv": school_rows,
        "students.csv": pl.concat([student_rows, second]),
        "teachers.csv": teacher_rows,
        "sections.csv": section_rows,
        "enrollments.csv": enrollment_rows,
    }
    return {name: conform_state(model.file(name), frame) for name, frame in frames.items()}
