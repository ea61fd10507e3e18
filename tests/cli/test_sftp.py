"""`rosterport sftp add-user|test`, in-process (`main([...])`)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from rosterport.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "data"
    assert run(capsys, "org", "create", "lincoln", "--data-dir", folder)[0] == 0
    return folder


def test_add_user_with_a_password_or_a_public_key(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys, "sftp", "add-user", "--org", "lincoln", "--username", "lincoln-sis",
        "--password", "nightly-export-1", "--data-dir", data_dir,
    )  # fmt: skip
    assert code == 0
    assert out.startswith(
        "created SFTP account lincoln-sis for lincoln (passport-roster, password)"
    )
    key = tmp_path / "id.pub"
    key.write_text(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKNRR5uC6ncJtiOSpdvHS5gF7SbldGFmudYRYzbXoc9P sis\n"
    )
    code, out, _ = run(
        capsys, "sftp", "add-user", "--org", "lincoln", "--username", "lincoln-ids",
        "--public-key", key, "--model", "passport-identity", "--data-dir", data_dir,
    )  # fmt: skip
    assert code == 0
    assert "(passport-identity, public key)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--org", "nowhere", "--username", "x-sis", "--password", "long-enough-1"], "nowhere"),
        (["--org", "lincoln", "--username", "x-sis", "--password", "short"], "too short"),
        (["--org", "lincoln", "--username", "x-sis", "--public-key", "/no/such.pub"], "exist"),
    ],
)
def test_add_user_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], data_dir: Path, argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "sftp", "add-user", *argv, "--data-dir", data_dir)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_test_reports_each_step(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, out, _ = run(
        capsys, "sftp", "test", "--host", "127.0.0.1", "--port", str(port),
        "--username", "u", "--password", "p",
    )  # fmt: skip
    assert code == 1
    assert out.startswith("FAILED  reach the server refused: 127.0.0.1 does not accept")
