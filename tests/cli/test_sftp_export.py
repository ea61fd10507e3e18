"""`rosterport sftp export add|list|run|test`, in-process, against an SFTP server on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rosterport.cli import main
from tests.conftest import PASSPORT
from tests.services.test_sftp_export import PASSWORD, USER, Vendor


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "data"
    assert run(capsys, "org", "create", "lincoln", "--data-dir", folder)[0] == 0
    return folder


def test_add_run_list_and_test(
    capsys: pytest.CaptureFixture[str], data_dir: Path, vendor: Vendor
) -> None:
    code, out, err = run(
        capsys, "sftp", "export", "add", "--org", "lincoln", "--host", "127.0.0.1",
        "--port", vendor.port, "--username", USER, "--password", PASSWORD, "--path", "in",
        "--delta", "--format", "json", "--data-dir", data_dir,
    )  # fmt: skip
    assert (code, err) == (0, "")
    made = json.loads(out)
    assert made["delta"] is True
    assert made["data_schema"] == "IMS OneRoster 1.1"
    assert "password" not in out
    export_id = str(made["id"])
    code, out, _ = run(capsys, "sftp", "export", "run", "--org", "lincoln", export_id,
                       "--data-dir", data_dir)  # fmt: skip
    assert code == 0
    assert "no roster in production" in out
    code, _, err = run(
        capsys, "upload", "--org", "lincoln", "--model", "passport-roster",
        PASSPORT / "valid-district", "--data-dir", data_dir,
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = run(capsys, "sftp", "export", "run", "--org", "lincoln", export_id,
                       "--data-dir", data_dir)  # fmt: skip
    assert code == 0, out
    assert "(bulk)" in out
    assert "manifest.csv" in vendor.files("in")
    code, out, _ = run(capsys, "sftp", "export", "list", "--org", "lincoln", "--data-dir", data_dir)
    assert code == 0
    assert "bulk then delta" in out
    assert "delivered: version" in out
    code, out, _ = run(capsys, "sftp", "export", "test", "--org", "lincoln", export_id,
                       "--data-dir", data_dir)  # fmt: skip
    assert code == 0
    assert "matches the pinned key" in out


def test_errors_are_one_line(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, _, err = run(
        capsys, "sftp", "export", "add", "--org", "lincoln", "--host", "h", "--username", "u",
        "--password", "p", "--schedule", "7pm", "--data-dir", data_dir,
    )  # fmt: skip
    assert code == 2
    assert err.count("\n") == 1
    assert "HH:MM" in err
    code, _, err = run(capsys, "sftp", "export", "run", "--org", "lincoln", "99",
                       "--data-dir", data_dir)  # fmt: skip
    assert code == 2
    assert "99" in err
