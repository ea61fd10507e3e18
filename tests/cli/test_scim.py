"""`rosterport scim add|list|run|remove` against a real SCIM server on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rosterport.cli import main
from tests.conftest import PASSPORT
from tests.scim_server import scim_server

TOKEN = "cli-Secret-Bearer-91d2"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_upload_run_list_remove(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(capsys, "org", "create", "lincoln", "--data-dir", data)[0] == 0
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    with scim_server(TOKEN) as server:
        code, out, err = run(
            capsys, "scim", "add", "--org", "lincoln", "--name", "LMS", "--url", server.url,
            "--token-file", token_file, "--role", "student", "--format", "json",
            "--data-dir", data,
        )  # fmt: skip
        assert (code, err) == (0, "")
        made = json.loads(out)
        assert made["roles"] == ["student"]
        assert TOKEN not in out
        code, _, err = run(
            capsys, "upload", "--org", "lincoln", "--model", "passport-roster",
            PASSPORT / "valid-district", "--data-dir", data,
        )  # fmt: skip
        assert code == 0, err
        code, out, _ = run(capsys, "scim", "run", "--org", "lincoln", str(made["id"]),
                           "--data-dir", data)  # fmt: skip
        assert code == 0, out
        assert len(server.users()) == 5  # the students only
        assert all(u["userType"] == "student" for u in server.users().values())
        code, out, _ = run(capsys, "scim", "list", "--org", "lincoln", "--data-dir", data)
        assert code == 0
        assert "pushed: version" in out
        assert TOKEN not in out
    code, out, _ = run(capsys, "scim", "run", "--org", "lincoln", str(made["id"]),
                       "--data-dir", data)  # fmt: skip
    assert code == 1
    assert "push failed" in out
    assert TOKEN not in out
    code, out, _ = run(capsys, "scim", "remove", "--org", "lincoln", str(made["id"]),
                       "--data-dir", data)  # fmt: skip
    assert code == 0
    code, _, err = run(capsys, "scim", "add", "--org", "lincoln", "--url", "nowhere",
                       "--token-file", token_file, "--data-dir", data)  # fmt: skip
    assert code != 0
    assert len(err.strip().splitlines()) == 1
