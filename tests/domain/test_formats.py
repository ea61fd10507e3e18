"""Passport value formats (spec/passport-roster.md, "Value formats").

Each format is exercised the way uploads use it: a one-column file through the validator, so
the trimming and any fast screening in front of `Format.normalize` are covered too.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rosterport.domain import formats
from rosterport.domain.formats import Format
from rosterport.domain.inputs import FIELDS, ROW, RawTable
from rosterport.domain.policy import Policy
from rosterport.domain.schemas.model import Column, DataModel, FileSchema
from rosterport.domain.schemas.passport_identity import ROLE
from rosterport.domain.validator import validate
from tests.conftest import TODAY


def run(fmt: Format, values: list[str], today: date = TODAY) -> list[tuple[str | None, str]]:
    """Per value: (stored form or None, "" when valid else the issue message)."""
    schema = FileSchema("t.csv", (Column("v", fmt),), key=())
    model = DataModel("t", "T", "one column", files=(schema,))
    frame = pl.DataFrame(
        {
            "c0": values,
            ROW: pl.Series(range(2, len(values) + 2), dtype=pl.UInt32),
            FIELDS: pl.Series([1] * len(values), dtype=pl.UInt32),
        }
    )
    validation = validate(model, [RawTable("t.csv", ("v",), frame)], Policy(today=today))
    stored = dict(validation.records["t.csv"].select(ROW, "v").iter_rows())
    issues = validation.report.sorted_issues()
    assert set(issues["code"]) <= {"invalid-format"}
    said = dict(issues.select("row", "message").iter_rows())
    return [(stored.get(row), said.get(row, "")) for row in range(2, len(values) + 2)]


def stored(fmt: Format, values: list[str], today: date = TODAY) -> list[str | None]:
    results = run(fmt, values, today)
    assert [m for _, m in results] == [""] * len(values), results
    return [s for s, _ in results]


def rejected(fmt: Format, values: list[str]) -> list[str]:
    """The messages for values that must all be invalid."""
    results = run(fmt, values)
    assert all(s is None and m for s, m in results), results
    return [m for _, m in results]


def test_id() -> None:
    values = ["S1", "  13K123 ", "a b-c_d.e/f", "ü中😀", "x" * 255, "1.5E3", "9e+9x"]
    assert stored(formats.ID, values) == [
        "S1",
        "13K123",
        "a b-c_d.e/f",
        "ü中😀",
        "x" * 255,
        "1.5E3",
        "9e+9x",
    ]


def test_id_rejects_spreadsheet_numbers_long_values_and_control_characters() -> None:
    said = rejected(
        formats.ID, ["1.23457E+11", "4E+12", "x" * 256, "a\tb", "a\x00b", "é" * 256, "a\x85b"]
    )
    assert "looks like a number reformatted by a spreadsheet" in said[0]
    assert "looks like a number reformatted by a spreadsheet" in said[1]
    assert "longer than 255 characters" in said[2]
    assert "longer than 255 characters" in said[5]
    assert said[0] == (
        "v '1.23457E+11' is not an identifier; expected 1–255 characters without control "
        "characters (looks like a number reformatted by a spreadsheet; format the column as Text)"
    )


def test_id_of_255_multibyte_characters_is_valid() -> None:
    assert stored(formats.ID, ["é" * 255]) == ["é" * 255]


def test_text_allows_tabs_but_no_other_control_characters() -> None:
    assert stored(formats.TEXT, ["O'Brien, Jr.", "a\tb", " spaced "]) == [
        "O'Brien, Jr.",
        "a\tb",
        "spaced",
    ]
    rejected(formats.TEXT, ["line\nbreak", "cr\rhere", "nul\x00", "del\x7f", "esc\x1b"])


def test_c1_control_characters_are_control_characters() -> None:
    # U+0080–U+009F are what UTF-8 read as Latin-1 leaves behind ("â\x80\x99" for "’").
    rejected(formats.TEXT, ["Oâ\x80\x99Brien", "next\x85line"])
    rejected(formats.ID, ["S\x9f1"])
    assert stored(formats.TEXT, ["O’Brien", "non\xa0breaking", "Zoë"]) == [
        "O’Brien",
        "non\xa0breaking",
        "Zoë",
    ]


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("11/01/1998", "1998-11-01"),
        ("11/1/1998", "1998-11-01"),
        ("1/2/2010", "2010-01-02"),
        ("6/6/07", "2007-06-06"),
        ("11/1/98", "1998-11-01"),
        ("2010-01-31", "2010-01-31"),
        ("2/29/2024", "2024-02-29"),
        ("2/29/00", "2000-02-29"),
        ("2024-02-29", "2024-02-29"),
        (" 3/4/2011 ", "2011-03-04"),
    ],
)
def test_date_formats_are_stored_as_iso(value: str, iso: str) -> None:
    assert stored(formats.DATE, [value]) == [iso]


def test_two_digit_years_fall_in_the_80_20_window() -> None:
    # today 2025-09-01: the window is [1945-09-01, 2045-09-01)
    values = ["8/31/45", "9/1/45", "1/1/46", "12/31/44", "1/1/25", "9/2/25"]
    assert stored(formats.DATE, values) == [
        "2045-08-31",
        "1945-09-01",
        "1946-01-01",
        "2044-12-31",
        "2025-01-01",
        "2025-09-02",
    ]


def test_two_digit_year_window_moves_with_today() -> None:
    assert stored(formats.DATE, ["1/1/60"], today=date(2025, 1, 1)) == ["1960-01-01"]
    assert stored(formats.DATE, ["1/1/60"], today=date(2045, 1, 1)) == ["2060-01-01"]


def test_dates_that_are_not_calendar_days() -> None:
    said = rejected(formats.DATE, ["13/45/2010", "02/29/2005", "2010-02-30", "0/5/2010"])
    assert all("(not a real calendar day)" in m for m in said)
    assert said[0] == (
        "v '13/45/2010' is not a date; expected MM/DD/YYYY, M/D/YY or YYYY-MM-DD "
        "(not a real calendar day)"
    )


def test_dates_in_other_shapes() -> None:
    said = rejected(formats.DATE, ["10.12.2010", "10-12-2010", "2010-1-5", "2010/01/05", "May 1"])
    assert "(use / between month, day and year)" in said[0]
    assert "(use / between month, day and year)" in said[1]
    assert all("is not a date" in m for m in said)


def spec_date(value: str, today: date = TODAY) -> str | None:
    """spec/passport-roster.md's date format, written plainly: the reference."""
    if us := re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{2}|[0-9]{4})", value):
        month, day, digits = int(us[1]), int(us[2]), us[3]
        year = int(digits)
        if len(digits) == 2:  # the one year ≡ digits (mod 100) in [today − 80 y, today + 20 y)
            year += (today.year - 80) // 100 * 100
            while (year, month, day) < (today.year - 80, today.month, today.day):
                year += 100
        parts = (year, month, day)
    elif iso := re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", value):
        parts = (int(iso[1]), int(iso[2]), int(iso[3]))
    else:
        return None
    try:
        return date(*parts).isoformat()
    except ValueError:
        return None


def _shapes(day: date) -> list[str]:
    return [
        f"{day.month}/{day.day}/{day.year}",
        f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{day.month}/{day.day}/{day.year % 100:02d}",
        day.isoformat(),
    ]


date_like = st.one_of(
    st.dates(date(1000, 1, 1), date(9999, 12, 31)).flatmap(lambda d: st.sampled_from(_shapes(d))),
    st.from_regex(r"\A[0-9 +-]{0,3}[/-][0-9 ]{0,3}[/-][0-9 +-]{0,5}\Z"),
    st.from_regex(r"\A[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}\Z"),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(date_like, min_size=1, max_size=20))
def test_dates_follow_the_spec(values: list[str]) -> None:
    trimmed = [v.strip(" \t") for v in values]
    assume(all(trimmed))  # empty is "missing", not a date
    assume(not any(re.search(r"(^|/)0[0-9]{3}(-|$)", v) for v in trimmed))  # years 0–999
    assert [s for s, _ in run(formats.DATE, values)] == [spec_date(v) for v in trimmed]


def test_email_lower_cases_the_domain_only() -> None:
    values = ["Ann.Lee@Example.ORG", "a+b@sub.school.k12.ny.us", " x@y.io "]
    assert stored(formats.EMAIL, values) == [
        "Ann.Lee@example.org",
        "a+b@sub.school.k12.ny.us",
        "x@y.io",
    ]


def test_email_lower_cases_non_ascii_domains_too() -> None:
    values = ["a@Éa.fr", "Zoë@Ωmega.gr", "b@straße.de"]
    assert stored(formats.EMAIL, values) == ["a@éa.fr", "Zoë@ωmega.gr", "b@straße.de"]


def test_email_mistakes_have_hints() -> None:
    said = rejected(formats.EMAIL, ["ann lee@x.org", "a@@x.org", "ann.x.org", "ann@localhost"])
    assert "(contains a space)" in said[0]
    assert "(needs exactly one @)" in said[1]
    assert "(needs exactly one @)" in said[2]
    assert "(the domain after @ needs a dot)" in said[3]


def test_email_longer_than_254_characters_is_invalid() -> None:
    local = "a" * 64
    ok = f"{local}@{'b' * 180}.org"  # 249 characters
    too_long = f"{local}@{'b' * 186}.org"  # 255 characters
    assert stored(formats.EMAIL, [ok]) == [ok]
    rejected(formats.EMAIL, [too_long])


def test_grades_and_ceds_codes() -> None:
    values = [
        "Kindergarten", "kindergarten", "K", "KG", "0", "PK", "prekindergarten", "TK", "IT",
        "PR", "Preschool", "1", "01", "9", "12", "13", "PS", "postgraduate", "UG", "Ungraded",
        "other", "InfantToddler", "transitionalkindergarten",
    ]  # fmt: skip
    assert stored(formats.GRADE, values) == [
        "Kindergarten", "Kindergarten", "Kindergarten", "Kindergarten", "Kindergarten",
        "PreKindergarten", "PreKindergarten", "TransitionalKindergarten", "InfantToddler",
        "Preschool", "Preschool", "1", "1", "9", "12", "13", "PostGraduate", "PostGraduate",
        "Ungraded", "Ungraded", "Other", "InfantToddler", "TransitionalKindergarten",
    ]  # fmt: skip


def test_grades_outside_the_list() -> None:
    rejected(formats.GRADE, ["14", "1st", "Grade 3", "00", "-1", "K-12"])


def test_gender() -> None:
    values = ["M", "f", "X", "Male", "FEMALE", "nonbinary"]
    assert stored(formats.GENDER, values) == ["M", "F", "X", "M", "F", "X"]
    rejected(formats.GENDER, ["U", "boy", "non-binary"])


def test_yes_no() -> None:
    values = ["Y", "n", "Yes", "NO", "true", "False"]
    assert stored(formats.YES_NO, values) == ["Y", "N", "Y", "N", "Y", "N"]
    rejected(formats.YES_NO, ["1", "0", "T", "yep"])


def test_race() -> None:
    assert stored(formats.RACE, ["a", "B", "i", "M", "p", "W"]) == ["A", "B", "I", "M", "P", "W"]
    rejected(formats.RACE, ["Z", "AB", "Asianish", "Other"])


def test_race_names_other_exports_use() -> None:
    """spec/passport-roster.md: names as well as codes, case-insensitive; Unknown and
    Declined to state mean not given (empty, no issue)."""
    names = [
        "Asian",
        "BLACK OR AFRICAN AMERICAN",
        "American Indian",
        "American Indian or Alaska Native",
        "Two or More Races",
        "multiracial",
        "Hawaiian or Other Pacific Islander",
        "Native Hawaiian or Other Pacific Islander",
        "White",
        "caucasian",
        "Unknown",
        "Declined to State",
    ]
    assert stored(formats.RACE, names) == [
        "A", "B", "I", "I", "M", "M", "P", "P", "W", "W", None, None,
    ]  # fmt: skip


def test_free_reduced_lunch() -> None:
    values = ["F", "r", "P", "n", "Free", "REDUCED", "paid"]
    assert stored(formats.FRL, values) == ["F", "R", "P", "N", "F", "R", "P"]
    rejected(formats.FRL, ["No", "Y", "full"])


def test_state() -> None:
    assert stored(formats.STATE, ["ny", "CA", "Tx"]) == ["NY", "CA", "TX"]
    rejected(formats.STATE, ["N.Y.", "NYC", "N", "1A"])


def test_zip_code() -> None:
    assert stored(formats.ZIP, ["10001", "02134-1234"]) == ["10001", "02134-1234"]
    said = rejected(formats.ZIP, ["2134", "123456", "10001-12", "ABCDE"])
    assert "(leading zero lost? format the column as Text)" in said[0]
    assert "leading zero" not in said[1]


def test_year() -> None:
    assert stored(formats.YEAR, ["1900", "2031", "2100"]) == ["1900", "2031", "2100"]
    rejected(formats.YEAR, ["1899", "2101", "99", "20311", "2031.0"])


def test_subject() -> None:
    values = ["math", "ENGLISH/LANGUAGE ARTS", "Social Studies", "pe and health", "Other"]
    assert stored(formats.SUBJECT, values) == [
        "Math",
        "English/language arts",
        "Social studies",
        "PE and health",
        "other",
    ]
    rejected(formats.SUBJECT, ["Maths", "English", "PE"])


def test_staff_role() -> None:
    assert stored(ROLE, ["Teacher", "ADMINISTRATOR", "staff"]) == [
        "teacher",
        "administrator",
        "staff",
    ]
    rejected(ROLE, ["principal", "aide"])


def test_secret_message_never_shows_the_value() -> None:
    (said,) = rejected(formats.SECRET, ["hunter2\x00"])
    assert "hunter2" not in said
    assert "••••" in said
