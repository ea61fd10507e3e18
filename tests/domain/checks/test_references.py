"""Cross-file references: the check itself, and cascades through a whole upload."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from rosterport.domain.checks.issueframe import rendered
from rosterport.domain.checks.references import Targets, check_reference
from rosterport.domain.inputs import ROW
from rosterport.domain.issue_type import Level
from rosterport.domain.policy import Policy
from rosterport.domain.schemas.model import Reference
from tests.conftest import TODAY, check, district, issues, leveled, messages

TO_STUDENT = Reference(
    "enrollments.csv", ("Student_id",), "students.csv", ("Student_id",), noun="student"
)
TO_SECTION_OF_SCHOOL = Reference(
    "enrollments.csv",
    ("School_id", "Section_id"),
    "sections.csv",
    ("School_id", "Section_id"),
    filtering=False,
    fixed_level=Level.INFO,
    noun="section of that school",
)


def frame(rows: list[int] | None = None, **columns: list[str | None]) -> pl.DataFrame:
    """ROW (2, 3, … unless given) + string columns."""
    height = len(next(iter(columns.values())))
    numbers = rows if rows is not None else list(range(2, height + 2))
    return pl.DataFrame(
        {**columns, ROW: pl.Series(numbers, dtype=pl.UInt32)},
        schema_overrides=dict.fromkeys(columns, pl.String),
    )


def targets(removed: pl.DataFrame | None = None, **kept: list[str]) -> Targets:
    names = list(kept)
    return Targets(
        kept=pl.DataFrame(kept, schema=dict.fromkeys(names, pl.String)),
        removed=removed
        if removed is not None
        else pl.DataFrame(schema={**dict.fromkeys(names, pl.String), ROW: pl.UInt32}),
    )


# -- the check --------------------------------------------------------------------------------


def test_values_not_among_the_targets_fail() -> None:
    result = check_reference(
        TO_STUDENT,
        frame(Student_id=["1", "2", None, "9", "1"]),
        targets(Student_id=["1", "2", "3"]),
    )
    assert result.failed[ROW].to_list() == [5]
    assert result.issues.select("file", "row", "column", "value", "code", "level").rows() == [
        ("enrollments.csv", 5, "Student_id", "9", "reference-not-found", None)
    ]
    assert rendered(result.issues)["message"].to_list() == [
        "Student_id '9' is not a student in students.csv; add it to students.csv or correct "
        "the value"
    ]


def test_nothing_fails_when_every_value_resolves() -> None:
    result = check_reference(TO_STUDENT, frame(Student_id=["1", "1"]), targets(Student_id=["1"]))
    assert result.issues.height == 0
    assert result.failed.height == 0


def test_value_of_a_removed_target_names_the_removed_row() -> None:
    removed = frame([7], Student_id=["9"])
    result = check_reference(
        TO_STUDENT, frame(Student_id=["9", "8"]), targets(removed, Student_id=["1"])
    )
    assert result.failed[ROW].to_list() == [2, 3]
    assert rendered(result.issues)["message"].to_list() == [
        "Student_id '9' names a student that was removed from students.csv (row 7 has issues); "
        "fix that row and this record comes back",
        "Student_id '8' is not a student in students.csv; add it to students.csv or correct "
        "the value",
    ]


def test_multi_column_reference_compares_whole_pairs() -> None:
    result = check_reference(
        TO_SECTION_OF_SCHOOL,
        frame(School_id=["A", "B", "A", "A,1"], Section_id=["1", "1", "2", ""]),
        targets(School_id=["A", "B", "A"], Section_id=["1", "2", "1,"]),
    )
    assert result.issues.select("row", "column", "value", "level").rows() == [
        (3, "Section_id", "B, 1", "info"),
        (4, "Section_id", "A, 2", "info"),
        (5, "Section_id", "A,1, ", "info"),
    ]
    assert rendered(result.issues)["message"][0] == (
        "School_id + Section_id 'B, 1' is not a section of that school in sections.csv; "
        "add it to sections.csv or correct the value"
    )


def test_advisory_reference_to_a_removed_target_does_not_promise_the_record_back() -> None:
    removed = frame([3], School_id=["A"], Section_id=["1"])
    result = check_reference(
        TO_SECTION_OF_SCHOOL,
        frame(School_id=["A"], Section_id=["1"]),
        targets(removed, School_id=["B"], Section_id=["1"]),
    )
    (message,) = rendered(result.issues)["message"]
    assert "removed from sections.csv (row 3 has issues)" in message
    assert "this record comes back" not in message  # the record was never removed


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ab,"), st.sampled_from("12 ")), max_size=12),
    st.lists(st.tuples(st.sampled_from("ab,"), st.sampled_from("12 ")), max_size=6),
)
def test_failures_are_exactly_the_pairs_missing_from_the_targets(
    pairs: list[tuple[str, str]], kept: list[tuple[str, str]]
) -> None:
    result = check_reference(
        TO_SECTION_OF_SCHOOL,
        frame(School_id=[p[0] for p in pairs], Section_id=[p[1] for p in pairs]),
        targets(School_id=[k[0] for k in kept], Section_id=[k[1] for k in kept]),
    )
    expected = [row for row, pair in enumerate(pairs, start=2) if pair not in set(kept)]
    assert sorted(result.failed[ROW].to_list()) == expected
    assert sorted(result.issues["row"].to_list()) == expected


# -- cascades through an upload ----------------------------------------------------------------


def test_removed_student_takes_its_enrollments_along() -> None:
    validation = check(district("student-unknown-school"))
    assert leveled(validation.report) == [
        ("enrollments.csv", 4, "Student_id", "reference-not-found", "warn"),
        ("students.csv", 3, "School_id", "reference-not-found", "warn"),
    ]
    assert messages(validation.report)[0] == (
        "Student_id '913113920' names a student that was removed from students.csv (row 3 has "
        "issues); fix that row and this record comes back"
    )
    assert validation.records["students.csv"][ROW].to_list() == [2, 4, 5, 6]
    assert validation.records["enrollments.csv"][ROW].to_list() == [2, 3, 5, 6, 7]
    assert validation.valid


def test_removed_school_cascades_to_every_file_each_record_reported_once() -> None:
    policy = Policy(levels={"invalid-format": Level.WARN}, today=TODAY)
    validation = check(district("school-bad-zip"), policy=policy)
    # enrollments 6 and 7 also name a removed section and removed students: one issue each,
    # for the first reference they fail
    assert issues(validation.report) == [
        ("enrollments.csv", 6, "School_id", "reference-not-found"),
        ("enrollments.csv", 7, "School_id", "reference-not-found"),
        ("schools.csv", 3, "School_zip", "invalid-format"),
        ("sections.csv", 4, "School_id", "reference-not-found"),
        ("students.csv", 5, "School_id", "reference-not-found"),
        ("students.csv", 6, "School_id", "reference-not-found"),
        ("teachers.csv", 4, "School_id", "reference-not-found"),
    ]
    assert all(
        "names a school that was removed from schools.csv (row 3 has issues)" in m
        for m in messages(validation.report, "reference-not-found")
    )
    kept = {name: records[ROW].to_list() for name, records in validation.records.items()}
    assert kept == {
        "schools.csv": [2],
        "students.csv": [2, 3, 4],
        "teachers.csv": [2, 3],
        "sections.csv": [2, 3],
        "enrollments.csv": [2, 3, 4, 5],
    }
    counts = {f.name: (f.rows, f.accepted, f.filtered) for f in validation.report.files}
    assert counts["enrollments.csv"] == (6, 4, 2)
    assert counts["schools.csv"] == (2, 1, 1)


def test_record_failing_two_references_is_reported_once_for_the_first() -> None:
    files = district("student-unknown-school")
    files["enrollments.csv"] += b"02M800,913113920,999\n"  # removed student and unknown section
    validation = check(files)
    assert issues(validation.report) == [
        ("enrollments.csv", 4, "Student_id", "reference-not-found"),
        ("enrollments.csv", 8, "Section_id", "reference-not-found"),
        ("students.csv", 3, "School_id", "reference-not-found"),
    ]


def test_student_kept_in_another_school_still_resolves() -> None:
    files = district("student-unknown-school")
    files["students.csv"] += b"13K123,913113920,,,Greenholt,,Martha,,,,,,,,,,,,,,\n"
    validation = check(files)
    assert issues(validation.report) == [("students.csv", 3, "School_id", "reference-not-found")]
    assert validation.records["enrollments.csv"].height == 6


def test_advisory_references_keep_their_records() -> None:
    validation = check(district("section-unknown-co-teacher", "enrollment-section-of-other-school"))
    assert leveled(validation.report) == [
        ("enrollments.csv", 8, "Section_id", "reference-not-found", "info"),
        ("sections.csv", 3, "Teacher_2_id", "reference-not-found", "info"),
        ("sections.csv", 4, "Teacher_id", "reference-not-found", "info"),
    ]
    assert validation.records["sections.csv"].height == 3
    assert validation.records["enrollments.csv"].height == 7
    assert validation.valid


def test_advisory_references_stay_info_when_reference_issues_are_errors() -> None:
    policy = Policy(levels={"reference-not-found": Level.ERROR}, today=TODAY)
    validation = check(district("section-unknown-co-teacher"), policy=policy)
    assert {level for *_, level in leveled(validation.report)} == {"info"}
    assert validation.valid


def test_error_level_reference_blocks_instead_of_removing() -> None:
    policy = Policy(levels={"reference-not-found": Level.ERROR}, today=TODAY)
    validation = check(district("student-unknown-school"), policy=policy)
    assert leveled(validation.report) == [
        ("students.csv", 3, "School_id", "reference-not-found", "error"),
    ]
    assert not validation.valid
