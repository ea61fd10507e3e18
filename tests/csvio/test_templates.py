"""Templates: one header-only CSV per file of a model, and a README.txt describing them."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from rosterport.csvio.templates import readme, template_csv, templates_zip
from rosterport.domain.checks.headers import map_loose
from rosterport.domain.schemas import get_model

PASSPORT_MODELS = ["passport-roster", "passport-identity", "passport-sso"]


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("name", PASSPORT_MODELS)
def test_zip_has_one_template_per_file_and_a_readme(name: str) -> None:
    model = get_model(name)
    entries = unzip(templates_zip(model))
    assert list(entries) == [*(s.name for s in model.files), "README.txt"]


@pytest.mark.parametrize("name", PASSPORT_MODELS)
def test_templates_are_header_rows_the_validator_accepts(name: str) -> None:
    model = get_model(name)
    entries = unzip(templates_zip(model))
    for schema in model.files:
        data = entries[schema.name]
        assert data.endswith(b"\r\n")
        assert data.count(b"\n") == 1  # the header row only
        header = next(csv.reader(io.StringIO(data.decode("utf-8"))))
        assert header == list(schema.column_names)
        mapped = map_loose(schema, tuple(header), schema.name)
        assert mapped.issues.height == 0
        assert mapped.positions == {c: i for i, c in enumerate(schema.column_names)}


def test_students_template_lists_every_column_in_catalogue_order() -> None:
    students = get_model("passport-roster").file("students.csv")
    line = template_csv(students).decode("utf-8")
    assert line.startswith("School_id,Student_id,Student_number,State_id,Last_name,")
    assert line.endswith(",Username,Password\r\n")


@pytest.mark.parametrize("name", PASSPORT_MODELS)
def test_readme_describes_every_file_and_column(name: str) -> None:
    model = get_model(name)
    text = unzip(templates_zip(model))["README.txt"].decode("utf-8")
    assert "\r\n" in text  # readable in Notepad
    assert "CSV UTF-8" in text
    for schema in model.files:
        need = "required" if schema.required else "optional"
        assert f"{schema.name} ({need})" in text
        for column in schema.columns:
            flag = "required" if column.required else "optional"
            lines = [ln for ln in text.splitlines() if ln.split()[:2] == [column.name, flag]]
            assert lines, (schema.name, column.name)


def test_readme_of_roster_says_keys_aliases_and_references() -> None:
    text = readme(get_model("passport-roster"))
    assert "enrollments.csv (required) — key: School_id, Section_id, Student_id" in text
    assert "admins.csv (optional)" in text
    assert "also accepted as: staff.csv" in text
    assert "Student_id must name a student in students.csv" in text
    assert "Teacher_2_id should name a teacher in teachers.csv" in text
    assert "(secret: never shown back)" in text


def test_readme_of_identity_says_at_least_one_of_students_and_staff() -> None:
    text = readme(get_model("passport-identity"))
    assert "At least one of students.csv, staff.csv is needed." in text
    assert "schools.csv (required)" in text
    assert "staff.csv (optional)" in text
