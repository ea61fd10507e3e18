"""`passport-sso`: each credential names one account in production and an active application."""

from __future__ import annotations

import polars as pl

from rosterport.domain.inputs import ROW
from rosterport.domain.policy import Production
from tests.conftest import check, issues, leveled, messages

HEADER = "School_id,User_id,Username,Application_id,Application_username,Application_password"
PRODUCTION = Production(
    accounts=pl.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "t9"],
            "username": ["alice", "bob", "bob", "carol"],
            "school_id": ["S1", "S1", "S2", "S1"],
            "account": ["A1", "A2", "A3", "A4"],
        }
    ),
    applications=frozenset({"mathapp", "readapp"}),
)


def credentials(*rows: str) -> dict[str, bytes]:
    return {"app_credentials.csv": "\n".join([HEADER, *rows, ""]).encode()}


def test_offline_checks_what_the_file_says_and_notes_the_rest() -> None:
    validation = check(
        credentials(
            ",u1,,mathapp,alice01,pw1",
            ",,,mathapp,nobody,pw2",
            ",u1,,mathapp,alice02,pw3",
            ",,bob,mathapp,bob01,",
            "S2,u1,,mathapp,alice03,pw4",
        ),
        model="passport-sso",
    )
    assert leveled(validation.report) == [
        ("app_credentials.csv", 3, "User_id", "required-attribute", "error"),
        ("app_credentials.csv", 4, "Application_id", "uniqueness-violation", "error"),
        ("app_credentials.csv", 5, "Application_password", "required-attribute", "error"),
    ]
    assert messages(validation.report, "required-attribute")[0] == (
        "User_id and Username are both empty; fill in one to name the account"
    )
    (note,) = validation.report.notes
    assert "not checked here" in note
    assert "accounts" in note
    assert "applications" in note


def test_accounts_are_found_by_user_id_or_username_within_the_school() -> None:
    validation = check(
        credentials(
            ",u1,,mathapp,alice01,pw",  # 2: by User_id
            ",,alice,readapp,alice01,pw",  # 3: by Username
            "S2,,bob,mathapp,bob3,pw",  # 4: bob in S2 is A3
            ",,bob,readapp,bob?,pw",  # 5: two bobs
            ",u9,,mathapp,x,pw",  # 6: no such account
            "S2,u1,,readapp,x,pw",  # 7: u1 is not in S2
            ",u1,,chessapp,x,pw",  # 8: application not activated
        ),
        model="passport-sso",
        production=PRODUCTION,
    )
    assert leveled(validation.report) == [
        ("app_credentials.csv", 5, "Username", "reference-not-found", "warn"),
        ("app_credentials.csv", 6, "User_id", "reference-not-found", "warn"),
        ("app_credentials.csv", 7, "User_id", "reference-not-found", "warn"),
        ("app_credentials.csv", 8, "Application_id", "reference-not-found", "warn"),
    ]
    assert messages(validation.report) == [
        "Username 'bob' matches 2 accounts; add School_id or use User_id to name one",
        "no account with User_id 'u9'; load the person's roster first or correct the value",
        "no account with User_id 'u1' in school S2; load the person's roster first or correct "
        "the value",
        "Application_id 'chessapp' is not an application activated for this organization; "
        "activate it in the Application Gallery or correct the value",
    ]
    assert validation.valid
    assert validation.records["app_credentials.csv"][ROW].to_list() == [2, 3, 4]
    assert validation.report.notes == ()


def test_user_id_wins_over_username() -> None:
    validation = check(
        credentials(",u9,alice,mathapp,x,pw", ",u2,alice,readapp,x,pw"),
        model="passport-sso",
        production=PRODUCTION,
    )
    # row 2: u9 does not exist, even though alice does; row 3: u2 (bob) is used, not alice
    assert issues(validation.report) == [
        ("app_credentials.csv", 2, "User_id", "reference-not-found"),
    ]


def test_same_account_and_application_twice_is_a_uniqueness_violation() -> None:
    validation = check(
        credentials(
            "S1,u2,,mathapp,bob01,pw",
            "S1,,bob,mathapp,bob02,pw",  # the same account A2, named by Username
            "S1,,bob,readapp,bob03,pw",  # another application: fine
        ),
        model="passport-sso",
        production=PRODUCTION,
    )
    assert leveled(validation.report) == [
        ("app_credentials.csv", 3, "Application_id", "uniqueness-violation", "error"),
    ]
    assert messages(validation.report) == [
        "this account already has credentials for application 'mathapp' on row 2; keep one"
    ]
    assert not validation.valid


def test_passwords_never_appear_in_the_report() -> None:
    validation = check(
        credentials(",u1,,mathapp,alice01,=cmd|' /C calc'!A0\x01"),
        model="passport-sso",
        production=PRODUCTION,
    )
    assert issues(validation.report) == [
        ("app_credentials.csv", 2, "Application_password", "invalid-format"),
    ]
    issue = validation.report.sorted_issues().row(0, named=True)
    assert issue["value"] == "••••"
    assert "calc" not in issue["message"]


def test_the_later_row_of_a_duplicate_is_the_one_reported() -> None:
    count = 200
    production = Production(
        accounts=pl.DataFrame(
            {
                "user_id": [f"u{i}" for i in range(count)],
                "username": [f"n{i}" for i in range(count)],
                "school_id": ["S1"] * count,
                "account": [f"A{i}" for i in range(count)],
            }
        ),
        applications=frozenset({"mathapp"}),
    )
    order = [*range(count), *reversed(range(count))]
    validation = check(
        credentials(*(f",u{i},,mathapp,x,pw" for i in order)),
        model="passport-sso",
        production=production,
    )
    reported = validation.report.issues["row"].to_list()
    assert sorted(reported) == list(range(count + 2, 2 * count + 2))


def test_a_malformed_user_id_is_an_invalid_format_only() -> None:
    """Issue 11: a spreadsheet's `1.23457E+11` in User_id is a value, malformed: one
    invalid-format issue, not also "User_id and Username are both empty"."""
    validation = check(credentials(",1.23457E+11,,mathapp,alice01,pw1"), model="passport-sso")
    assert [code for *_, code in issues(validation.report)] == ["invalid-format"]
