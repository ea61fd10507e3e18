"""`rosterport accounts list` and `rosterport vault add|list|remove`, in-process (SQLite),
after a real `rosterport upload` propagated by the in-process worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rosterport.cli import main
from tests.conftest import DATA

VALID = DATA / "passport" / "valid-district"


def test_accounts_list_after_an_upload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path / "data")
    assert main(["org", "create", "lincoln", "--data-dir", folder]) == 0
    upload = ["upload", "--org", "lincoln", "--model", "passport-roster", str(VALID)]
    assert main([*upload, "--data-dir", folder]) == 0
    capsys.readouterr()
    listing = ["accounts", "list", "--org", "lincoln", "--format", "json", "--data-dir", folder]
    assert main(listing) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {a["state"] for a in lines} == {"active"}
    diane = next(a for a in lines if a["sourcedId"] == "738733110")
    assert (diane["givenName"], diane["schools"], diane["credentials_set"]) == (
        "Diane",
        ["02M800"],
        {},
    )
    assert main([*listing, "--state", "suspended"]) == 0
    assert capsys.readouterr().out == ""
    assert (
        main(["accounts", "list", "--org", "lincoln", "--search", "diane", "--data-dir", folder])
        == 0
    )
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("738733110\tactive\tstudent\tDiane Schmeler")


def test_vault_apps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path / "data")
    assert main(["org", "create", "lincoln", "--data-dir", folder]) == 0
    add = ["vault", "add", "--org", "lincoln", "--id", "moodle", "--name", "Moodle"]
    assert main([*add, "--data-dir", folder]) == 0
    assert main([*add, "--data-dir", folder]) == 2  # already there: refused, one line
    assert "already has" in capsys.readouterr().err
    assert (
        main(["vault", "list", "--org", "lincoln", "--format", "json", "--data-dir", folder]) == 0
    )
    assert json.loads(capsys.readouterr().out) == [
        {"id": "moodle", "name": "Moodle", "launch_url": None}
    ]
    assert (
        main(["vault", "remove", "--org", "lincoln", "--id", "moodle", "--data-dir", folder]) == 0
    )


def test_offline_validate_says_the_sso_look_ups_need_an_organization(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "app_credentials.csv"
    data.write_text(
        "User_id,Username,Application_id,Application_username,Application_password\n"
        "404,,moodle,ghost,Secret-Pw-1\n"
    )
    main(["validate", "--model", "passport-sso", str(data)])
    out = capsys.readouterr().out
    assert (
        "note: not checked here: accounts (User_id, Username) and activated applications "
        "(Application_id) need the organization's production data; they are checked on upload"
    ) in out
    assert "Secret-Pw-1" not in out
