"""`rosterport serve --demo` and `rosterport admin create`, as a user runs them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rosterport.cli import main


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_demo_prints_a_login_that_works(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ROSTERPORT_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rosterport",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--sftp-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "admin UI at" in line:
                break
        text = "".join(lines)
        email = re.search(r"e-mail:\s+(\S+)", text)
        password = re.search(r"password:\s+(\S+)", text)
        folder = re.search(r"add the files of the demo district:\s+(\S+)", text)
        assert email, text
        assert password, text
        assert folder, text
        assert sorted(p.name for p in Path(folder.group(1)).glob("*.csv")) == [
            "enrollments.csv",
            "schools.csv",
            "sections.csv",
            "students.csv",
            "teachers.csv",
        ]
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                page = httpx.get(base + "/login")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        csrf = page.text.split('name="login_csrf" value="')[1].split('"')[0]
        signed = httpx.post(
            base + "/login",
            data={"email": email.group(1), "password": password.group(1), "login_csrf": csrf},
            cookies=page.cookies,
        )
        assert signed.status_code == 303
        assert "error" not in signed.headers["location"]
        me = httpx.get(base + "/api/v1/me", cookies=signed.cookies).json()
        assert me["platform"] is True
        assert [o["slug"] for o in me["organizations"]] == ["demo-district"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_admin_create(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert main(["org", "create", "springfield", *data]) == 0
    code = main(
        ["admin", "create", "--email", "A@Springfield.example", "--org", "springfield", *data]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "created a@springfield.example, administrator of springfield" in out
    assert re.search(r"password \(shown only now\): \S{10,}", out)
    code = main(["admin", "create", "--email", "a@springfield.example", "--platform", *data])
    assert code == 2
    assert "already exists" in capsys.readouterr().err
    code = main(
        ["admin", "create", "--email", "b@x.example", "--password", "short", "--platform", *data]
    )
    assert code == 2
    assert "at least 10" in capsys.readouterr().err
