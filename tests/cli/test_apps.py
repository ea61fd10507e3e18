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
