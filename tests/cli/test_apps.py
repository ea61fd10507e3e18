"""`rosterport apps create|list|revoke`, in-process (SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rosterport.bootstrap import build_hub
from rosterport.cli import main
from rosterport.config import Settings
from rosterport.services import api_apps


def test_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path / "data")
    assert main(["org", "create", "lincoln", "--data-dir", folder]) == 0
    capsys.readouterr()
    created = [
        "apps", "create", "--org", "lincoln", "--name", "Moodle", "--scope", "roster.readonly",
        "--school", "s1", "--format", "json", "--data-dir", folder,
    ]  # fmt: skip
    assert main(created) == 0
    made = json.loads(capsys.readouterr().out)
    assert set(made) == {"client_id", "client_secret"}
    hub = build_hub(Settings(data_dir=tmp_path / "data"))
    token, scopes = api_apps.issue_token(
        hub, made["client_id"], made["client_secret"], "client_credentials", None
    )
    assert scopes == (api_apps.FULL,)
    caller = api_apps.caller_of_token(hub, token)
    assert caller is not None
    assert caller.schools == ("s1",)
    assert main(["apps", "list", "--org", "lincoln", "--format", "json", "--data-dir", folder]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "Moodle"
    assert listed["last_used_at"] is not None
    assert made["client_secret"] not in json.dumps(listed)
    assert (
        main(["apps", "revoke", made["client_id"], "--org", "lincoln", "--data-dir", folder]) == 0
    )
    assert api_apps.caller_of_token(hub, token) is None
    assert (
        main(["apps", "revoke", made["client_id"], "--org", "lincoln", "--data-dir", folder]) == 2
    )
    bad = [
        "apps",
        "create",
        "--org",
        "lincoln",
        "--name",
        "x",
        "--scope",
        "nope",
        "--data-dir",
        folder,
    ]
    assert main(bad) == 2
    hub.engine.dispose()


def test_webhook_add_list_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = str(tmp_path / "data")
    assert main(["org", "create", "lincoln", "--data-dir", folder]) == 0
    assert main(["apps", "create", "--org", "lincoln", "--name", "LMS", "--format", "json",
                 "--data-dir", folder]) == 0  # fmt: skip
    client_id = json.loads(capsys.readouterr().out.splitlines()[-1])["client_id"]
    common = ["--org", "lincoln", "--app", client_id, "--data-dir", folder]
    refused = ["apps", "webhook", "add", *common, "--url", "http://127.0.0.1:8080/h"]
    assert main(refused) == 2
    assert "loopback" in capsys.readouterr().err
    monkeypatch.setenv("ROSTERPORT_WEBHOOK_ALLOW_PRIVATE", "1")
    added = [*refused, "--types", "users.created,users.deleted", "--format", "json"]
    assert main(added) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["secret"].startswith("whsec_")
    assert made["types"] == ["users.created", "users.deleted"]
    assert main(["apps", "webhook", "list", *common, "--format", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["url"] == "http://127.0.0.1:8080/h"
    assert made["secret"] not in json.dumps(listed)
    assert main(["apps", "webhook", "remove", str(made["id"]), *common]) == 0
    capsys.readouterr()
    assert main(["apps", "webhook", "list", *common]) == 0
    assert capsys.readouterr().out == ""
    assert main(["apps", "webhook", "add", *common, "--url", "https://x.example/h",
                 "--types", "nope"]) == 2  # fmt: skip
