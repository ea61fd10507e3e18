"""Key uniqueness within a file: the first record with a key stays, later ones are issues."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from rosterport.domain.checks.issueframe import rendered
from rosterport.domain.checks.keys import check_unique
from rosterport.domain.inputs import ROW
from tests.conftest import check, district, issues, messages

KEY = ("School_id", "Student_id")


def keyed(*pairs: tuple[str | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            ROW: pl.Series(range(2, len(pairs) + 2), dtype=pl.UInt32),
            "School_id": [p[0] for p in pairs],
            "Student_id": [p[1] for p in pairs],
        },
        schema_overrides={"School_id": pl.String, "Student_id": pl.String},
    )


def found(frame: pl.DataFrame) -> list[tuple[int, str, str]]:
    return frame.select("row", "column", "value").rows()


def test_later_duplicates_are_reported_with_the_first_row() -> None:
    result = check_unique(
        "students.csv",
        keyed(("A", "1"), ("A", "2"), ("A", "1"), ("B", "1"), ("A", "1")),
        KEY,
        entity="student",
    )
    assert found(result) == [(4, "Student_id", "A, 1"), (6, "Student_id", "A, 1")]
    assert set(result["code"]) == {"uniqueness-violation"}
    assert (
        rendered(result)["message"].to_list()
        == [
            "School_id + Student_id 'A, 1' appears again: the same student is on row 2; keep one "
            "row per student"
        ]
        * 2
    )


def test_same_student_in_two_schools_is_not_a_duplicate() -> None:
    result = check_unique("students.csv", keyed(("A", "1"), ("B", "1")), KEY)
    assert result.height == 0


def test_keys_with_a_missing_part_are_left_to_the_required_check() -> None:
    result = check_unique("students.csv", keyed(("A", None), ("A", None), (None, "1")), KEY)
    assert result.height == 0


def test_parts_are_compared_separately_not_as_joined_text() -> None:
    result = check_unique("students.csv", keyed(("A, B", "1"), ("A", "B, 1"), ("AB", "1")), KEY)
    assert result.height == 0


def test_single_column_key() -> None:
    frame = pl.DataFrame(
        {ROW: pl.Series([2, 3, 4], dtype=pl.UInt32), "School_id": ["S1", "S2", "S1"]}
    )
    result = check_unique("schools.csv", frame, ("School_id",), entity="school")
    assert found(result) == [(4, "School_id", "S1")]
    assert rendered(result)["message"][0] == (
        "School_id 'S1' appears again: the same school is on row 2; keep one row per school"
    )


def test_no_key_no_issue() -> None:
    assert check_unique("x.csv", keyed(("A", "1"), ("A", "1")), ()).height == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", None]), st.sampled_from("12")), max_size=15))
def test_reported_rows_are_exactly_the_repeats(pairs: list[tuple[str | None, str]]) -> None:
    result = check_unique("students.csv", keyed(*pairs), KEY)
    seen: set[tuple[str | None, str]] = set()
    expected = []
    for row, pair in enumerate(pairs, start=2):
        if pair[0] is not None and pair in seen:
            expected.append(row)
        seen.add(pair)
    assert sorted(result["row"].to_list()) == expected


def test_duplicate_student_in_an_upload_blocks_it() -> None:
    validation = check(district("duplicate-student-key"))
    assert issues(validation.report) == [
        ("students.csv", 8, "Student_id", "uniqueness-violation"),
    ]
    assert messages(validation.report) == [
        "School_id + Student_id '02M800, 913113920' appears again: the same student is on row 3; "
        "keep one row per student"
    ]
    assert not validation.valid


def test_keys_compare_normalized_values() -> None:
    files = district()
    files["schools.csv"] += b" 02M800 ,City High School again" + b"," * 11 + b"\n"
    validation = check(files)
    assert issues(validation.report) == [("schools.csv", 4, "School_id", "uniqueness-violation")]
