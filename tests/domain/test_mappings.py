"""Schools and attributes mappings applied to raw tables."""

from __future__ import annotations

from rosterport.domain.inputs import position
from rosterport.domain.mappings import (
    CREATE,
    School,
    auto_map,
    map_schools,
    rename_columns,
    schools_in,
)
from rosterport.domain.schemas import get_model
from tests.conftest import csv_text, table

ROSTER = get_model("passport-roster")
ONEROSTER = get_model("oneroster-1.1")


def column(raw, name: str) -> list[str | None]:  # type: ignore[no-untyped-def]
    return raw.frame.get_column(position(raw.header.index(name))).to_list()


def test_auto_map_by_identifier_then_by_name() -> None:
    existing = [School("100", "Lincoln Elementary"), School("200", "Jefferson Middle School")]
    sources = [
        School("100", "Lincoln Elem."),  # same id
        School("J-1", "jefferson  middle-school"),  # same name, spelled differently
        School("X-9", "Brand New Academy"),
    ]
    assert auto_map(sources, existing) == {"100": "100", "J-1": "200", "X-9": CREATE}


def test_mapping_rewrites_the_school_everywhere_and_leaves_out_unknown_schools() -> None:
    schools = table(
        csv_text("School_id,School_name", "J-1,Jefferson", "X-9,New", "Z-0,Unmapped"),
        "schools.csv",
    )
    students = table(csv_text("School_id,Student_id", "J-1,s1", "X-9,s2", "Z-0,s3"), "students.csv")
    assert [s.id for s in schools_in(schools, ROSTER)] == ["J-1", "X-9", "Z-0"]
    mapped, notes = map_schools(ROSTER, [schools, students], {"J-1": "200", "X-9": CREATE})
    assert column(mapped[0], "School_id") == ["200", "X-9"]
    assert column(mapped[1], "School_id") == ["200", "X-9", "Z-0"]  # s3 now dangles
    assert len(notes) == 1
    assert "1 school(s) not in the Schools Mapping (Z-0)" in notes[0]


def test_oneroster_lists_of_orgs_are_mapped_item_by_item() -> None:
    users = table(csv_text("sourcedId,orgSourcedIds", 'u1,"o1,o2"', "u2,o2", "u3,"), "users.csv")
    mapped, _ = map_schools(ONEROSTER, [users], {"o1": "A", "o2": "B"})
    assert column(mapped[0], "orgSourcedIds") == ["A,B", "B", ""]


def test_rename_columns_case_insensitively() -> None:
    students = table(csv_text("school,StudentNumber,Student_id", "1,2,3"), "students.csv")
    renamed = rename_columns(students, {"studentnumber": "Student_number", "school": "School_id"})
    assert renamed.header == ("School_id", "Student_number", "Student_id")
