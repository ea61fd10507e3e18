"""Required values, formats and field counts, checked over whole columns."""

from __future__ import annotations

import polars as pl
import pytest

import rosterport.domain.checks.values as value_checks
from rosterport.domain import formats
from rosterport.domain.checks.issueframe import rendered
from rosterport.domain.checks.values import check_malformed, check_values
from rosterport.domain.formats import FormatContext
from rosterport.domain.inputs import FIELDS, ROW
from rosterport.domain.policy import Requirement
from rosterport.domain.schemas.model import Column, FileSchema
from tests.conftest import TODAY

PEOPLE = FileSchema(
    name="people.csv",
    key=("Person_id",),
    columns=(
        Column("Person_id", formats.ID, required=True),
        Column("Last_name", formats.TEXT, required=True),
        Column("DOB", formats.DATE),
        Column("Email", formats.EMAIL),
        Column("Nickname", formats.TEXT),
        Column("Password", formats.SECRET),
    ),
)
CONTEXT = FormatContext(today=TODAY)

Found = tuple[int, str, str | None, str, str | None]


def values(**columns: list[str | None]) -> pl.DataFrame:
    """ROW (2, 3, …) + the given columns as read."""
    height = len(next(iter(columns.values())))
    return pl.DataFrame(
        {ROW: pl.Series(range(2, height + 2), dtype=pl.UInt32), **columns},
        schema_overrides=dict.fromkeys(columns, pl.String),
    )


def found(issues: pl.DataFrame) -> list[Found]:
    """(row, column, value, code, level) per issue, by row then column order."""
    return sorted(
        issues.select("row", "column", "value", "code", "level").iter_rows(),
        key=lambda i: (i[0], PEOPLE.column_names.index(i[1])),
    )


def test_clean_values_are_normalized_and_raise_nothing() -> None:
    checked = check_values(
        PEOPLE,
        values(
            Person_id=[" P1 ", "P2"],
            Last_name=["Lee", "  O'Hara"],
            DOB=["11/1/98", "2007-06-06"],
            Email=["Ann@Example.ORG", ""],
            Nickname=["", None],
        ),
        CONTEXT,
        {},
    )
    assert checked.issues.height == 0
    assert checked.normalized.select(ROW, "Person_id", "Last_name", "DOB", "Email").rows() == [
        (2, "P1", "Lee", "1998-11-01", "Ann@example.org"),
        (3, "P2", "O'Hara", "2007-06-06", None),
    ]
    assert checked.normalized["Nickname"].to_list() == [None, None]


def test_missing_required_values_and_invalid_formats() -> None:
    checked = check_values(
        PEOPLE,
        values(
            Person_id=["P1", "", "   ", "P4"],
            Last_name=["Lee", "Kim", None, "\t"],
            DOB=["13/45/2010", "", " 1/2/2003 ", "soon"],
            Email=["x", "a@b.co", None, "a b@c.de"],
        ),
        CONTEXT,
        {},
    )
    assert found(checked.issues) == [
        (2, "DOB", "13/45/2010", "invalid-format", None),
        (2, "Email", "x", "invalid-format", None),
        (3, "Person_id", None, "required-attribute", None),
        (4, "Person_id", None, "required-attribute", None),
        (4, "Last_name", None, "required-attribute", None),
        (5, "Last_name", None, "required-attribute", None),
        (5, "DOB", "soon", "invalid-format", None),
        (5, "Email", "a b@c.de", "invalid-format", None),
    ]
    messages = dict(
        rendered(checked.issues).select(pl.format("{}:{}", "row", "column"), "message").iter_rows()
    )
    assert messages["3:Person_id"] == "Person_id is required but empty; fill it in"
    assert messages["2:Email"] == (
        "Email 'x' is not an e-mail address; expected local@domain.tld (needs exactly one @)"
    )
    # invalid values are not stored; the record itself is the validator's business
    assert checked.normalized["DOB"].to_list() == [None, None, "2003-01-02", None]


def test_value_in_messages_is_trimmed() -> None:
    checked = check_values(PEOPLE, values(Person_id=["P1"], DOB=["  2/30/2010 "]), CONTEXT, {})
    assert rendered(checked.issues).select("value", "message").rows() == [
        (
            "2/30/2010",
            "DOB '2/30/2010' is not a date; expected MM/DD/YYYY, M/D/YY or YYYY-MM-DD "
            "(not a real calendar day)",
        )
    ]


def test_secret_values_never_appear_in_issues() -> None:
    checked = check_values(PEOPLE, values(Person_id=["P1"], Password=["hunter2\x07"]), CONTEXT, {})
    assert found(checked.issues) == [(2, "Password", "••••", "invalid-format", None)]
    (message,) = rendered(checked.issues)["message"]
    assert "hunter2" not in message
    assert message.startswith("Password '••••' is not text")


def test_optional_columns_absent_from_the_file_are_not_checked() -> None:
    checked = check_values(PEOPLE, values(Person_id=["P1"], Last_name=["Lee"]), CONTEXT, {})
    assert checked.issues.height == 0
    assert "DOB" not in checked.normalized.columns


def test_data_requirements_report_keeps_and_skip_removes() -> None:
    checked = check_values(
        PEOPLE,
        values(
            Person_id=["P1", "P2", "P3"],
            Last_name=["A", "B", "C"],
            Email=["", "b@x.org", "  "],
            Nickname=[None, "", "Cee"],
        ),
        CONTEXT,
        {"Email": Requirement.SKIP, "Nickname": Requirement.REPORT},
    )
    assert found(checked.issues) == [
        (2, "Email", None, "required-attribute", "warn"),
        (2, "Nickname", None, "required-attribute", "info"),
        (3, "Nickname", None, "required-attribute", "info"),
        (4, "Email", None, "required-attribute", "warn"),
    ]
    messages = set(rendered(checked.issues)["message"])
    assert messages == {
        "Email is empty; the application needs it, so the record is skipped (Skip if missing)",
        "Nickname is empty; the application needs it (Report if missing)",
    }


def test_data_requirement_still_checks_the_format() -> None:
    checked = check_values(
        PEOPLE, values(Person_id=["P1"], Email=["nope"]), CONTEXT, {"Email": Requirement.SKIP}
    )
    assert found(checked.issues) == [(2, "Email", "nope", "invalid-format", None)]


def test_rows_marked_not_required_skip_the_required_check_only() -> None:
    checked = check_values(
        PEOPLE,
        values(Person_id=["P1", "P2"], Last_name=["", ""], DOB=["x", "x"]),
        CONTEXT,
        {},
        not_required_rows=pl.col(ROW) == 3,
    )
    assert found(checked.issues) == [
        (2, "Last_name", None, "required-attribute", None),
        (2, "DOB", "x", "invalid-format", None),
        (3, "DOB", "x", "invalid-format", None),
    ]


def test_malformed_rows_name_their_field_counts() -> None:
    frame = pl.DataFrame(
        {ROW: [2, 3, 5, 6], FIELDS: [3, 2, 4, 3]}, schema={ROW: pl.UInt32, FIELDS: pl.UInt32}
    )
    issues = rendered(check_malformed(frame, 3, "people.csv"))
    assert issues.select("file", "row", "column", "code").rows() == [
        ("people.csv", 3, None, "malformed-row"),
        ("people.csv", 5, None, "malformed-row"),
    ]
    assert issues["message"][0].startswith("row has 2 fields but the header has 3;")
    assert issues["message"][1].startswith("row has 4 fields but the header has 3;")


def test_no_malformed_rows() -> None:
    frame = pl.DataFrame({ROW: [2], FIELDS: [3]}, schema={ROW: pl.UInt32, FIELDS: pl.UInt32})
    assert check_malformed(frame, 3, "people.csv").height == 0


# -- columns of few distinct values are checked once per distinct value -----------------------

TRICKY = {
    "id": ["S1", " S1", "S1 ", "", None, "1E+09", "a\x07b", "x" * 300, "S2"],
    "text": ["Smith", " Smith", "", None, "tab\there", "bell\x07", "Zoë", "  "],
    "date": ["1/2/10", "01/02/2010", "2010-01-02", " 2010-01-02", "13/45/2010", "2/29/2005", ""],
    "email": ["a@b.org", "a@B.ORG", "a@@b.org", " a@b.org", "no at", None],
    "grade": ["K", "Kindergarten", "09", "9", " 9", "Grade 3", "ps", ""],
    "gender": ["M", "male", "Female", "F ", "x", "?", None],
    "yn": ["Y", "yes", "No", "TRUE", "maybe", ""],
    "race": ["W", "white", "Unknown", "declined to state", "Black", "Z", " A"],
    "zip": ["01103", "1103", "01103-1234", " 01103", "abcde"],
    "year": ["2030", "1899", "20301", " 2030", ""],
    "state": ["MA", "ma", "Mass", " MA"],
    "secret": ["hunter2", "pass\x07word", "", " spaced "],
}


def test_a_column_of_few_distinct_values_checks_as_value_by_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    by_name = {
        "id": formats.ID, "text": formats.TEXT, "date": formats.DATE, "email": formats.EMAIL,
        "grade": formats.GRADE, "gender": formats.GENDER, "yn": formats.YES_NO,
        "race": formats.RACE, "zip": formats.ZIP, "year": formats.YEAR, "state": formats.STATE,
        "secret": formats.SECRET,
    }  # fmt: skip
    schema = FileSchema(
        name="wide.csv",
        key=(),
        columns=tuple(
            Column(name, fmt, required=name in {"id", "date"}) for name, fmt in by_name.items()
        ),
    )
    height = 40_000  # enough rows for the distinct path; each column cycles its values
    frame = values(
        **{name: [cells[n % len(cells)] for n in range(height)] for name, cells in TRICKY.items()}
    )
    by_distinct = check_values(schema, frame, CONTEXT, {}, keep_values=True)
    # the path was taken for every column
    assert all(value_checks._few_distinct(frame[c.name], c) for c in schema.columns)
    monkeypatch.setattr(value_checks, "_few_distinct", lambda *_: False)
    one_by_one = check_values(schema, frame, CONTEXT, {}, keep_values=True)
    assert by_distinct.normalized.equals(one_by_one.normalized)
    assert by_distinct.values.equals(one_by_one.values)
    assert rendered(by_distinct.issues).equals(rendered(one_by_one.issues))
