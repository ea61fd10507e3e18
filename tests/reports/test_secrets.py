"""No report shows a secret value: not the text, JSON nor CSV report, whatever the upload.

The attacks of the adversarial pass (issue 10): a password saved as Latin-1 (the encoding
message used to quote the bytes around the first bad one), and rows with a field too few
or too many, which put a password under another column whose check echoes its value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from rosterport.csvio.reader import read_table
from rosterport.domain.inputs import FileProblem, RawTable
from rosterport.domain.policy import Policy
from rosterport.domain.report import Report
from rosterport.domain.schemas import MODELS, get_model
from rosterport.domain.schemas.model import FileSchema
from rosterport.domain.validator import validate
from rosterport.reports.csv_report import report_csv
from rosterport.reports.text_report import report_text
from tests.conftest import TODAY, check, district, issues, messages

SECRET = "TopSécretPW-111"
ONEROSTER = Path(__file__).resolve().parents[1] / "data" / "oneroster" / "valid-minimal"


def rendered(report: Report) -> str:
    """Every report a person or a program may see, as one text to search."""
    as_json = json.dumps(report.to_dict(), ensure_ascii=False)
    as_csv = report_csv(report).decode("utf-8-sig")
    return "\n".join((report_text(report), as_json, as_csv))


def assert_not_shown(report: Report, secret: str) -> None:
    text = rendered(report)
    for part in (secret, secret[:6], secret[-6:]):
        assert part not in text, part


def test_a_latin_1_password_is_not_quoted_by_the_encoding_message() -> None:
    files = district()
    teachers = files["teachers.csv"].decode().replace("zieWaex5coe", SECRET)
    files["teachers.csv"] = teachers.encode("latin-1")
    validation = check(files)
    assert issues(validation.report) == [("teachers.csv", None, None, "unreadable-file")]
    (message,) = messages(validation.report)
    assert "(byte 0xE9 in row 2, column 11 (K), at byte offset " in message
    assert message.endswith(
        "saved as Windows-1252 or Latin-1? Save it as 'CSV UTF-8 (Comma delimited)'"
    )
    assert_not_shown(validation.report, SECRET)


def test_a_latin_1_application_password_is_not_quoted() -> None:
    data = (
        "User_id,Application_id,Application_username,Application_password\r\n"
        f"738733110,gmail,diane,{SECRET}\r\n"
    ).encode("latin-1")
    validation = check({"app_credentials.csv": data}, model="passport-sso")
    assert issues(validation.report) == [("app_credentials.csv", None, None, "unreadable-file")]
    assert "row 2, column 4 (D)" in messages(validation.report)[0]
    assert_not_shown(validation.report, SECRET)


def test_a_password_shifted_into_grades_by_a_missing_field_is_not_echoed() -> None:
    # OneRoster users.csv ends with grades,password: a row with one field too few puts the
    # password under grades, whose format check used to echo it.
    files = {p.name: p.read_bytes() for p in sorted(ONEROSTER.iterdir())}
    files["users.csv"] += f"usr-x,,,true,sch-1,student,xx,,Xa,Xb,,X1,,,,,{SECRET}\n".encode()
    validation = validate(get_model("oneroster-1.1"), tables(files), Policy(today=TODAY))
    found = issues(validation.report)
    assert ("users.csv", 4, None, "malformed-row") in found
    assert ("users.csv", 4, "grades", "invalid-format") in found
    every = validation.report.sorted_issues()
    shifted = every.filter(every["column"] == "grades")
    assert shifted["value"].to_list() == ["••••"]
    assert shifted["message"][0].startswith(
        "grades (Invalid Format): the value is not shown because this row has the wrong number "
        "of fields"
    )
    assert_not_shown(validation.report, SECRET)


def tables(files: Mapping[str, bytes]) -> list[RawTable | FileProblem]:
    return [read_table(name, data) for name, data in files.items()]


def secret_files() -> list[tuple[str, FileSchema]]:
    return [
        (model.name, schema)
        for model in MODELS.values()
        for schema in model.files
        if any(c.secret for c in schema.columns)
    ]


@pytest.mark.parametrize(("model", "schema"), secret_files(), ids=lambda x: getattr(x, "name", x))
def test_no_secret_column_value_reaches_a_report(model: str, schema: FileSchema) -> None:
    """Every secret column of every model: an invalid secret, and rows with a field too few
    or too many around it (every other value is made up, so most of them are invalid too)."""
    names = schema.column_names
    at = next(i for i, c in enumerate(schema.columns) if c.secret)
    secret = "S3cret\x01PW-Zq9x"  # a control character: invalid, so an issue is raised

    def row(values: list[str]) -> str:
        return ",".join(values)

    values = [f"v{i}" for i in range(len(names))]
    values[at] = secret
    short = values[: at - 1] + values[at:] if at else values[1:]
    long = [*values[:at], "extra", *values[at:]]
    data = "\n".join([",".join(names), row(values), row(short), row(long)]) + "\n"
    validation = validate(
        get_model(model), tables({schema.name: data.encode()}), Policy(today=TODAY)
    )
    assert validation.report.issues.height  # the file was checked, not only refused
    assert_not_shown(validation.report, secret.replace("\x01", "\\x01"))
    assert_not_shown(validation.report, secret.replace("\x01", "\\u0001"))
    assert_not_shown(validation.report, secret)
    assert "S3cret" not in rendered(validation.report)
