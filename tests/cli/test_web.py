"""`rosterport serve --demo` and `rosterport admin create`, as a user runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from rosterport.cli import main
from tests.conftest import serve_demo
from tests.s3server import S3
from tests.web.conftest import prepare_data, served


def test_serve_demo_prints_a_login_that_works(tmp_path: Path) -> None:
    with serve_demo(tmp_path / "data") as demo:
        assert sorted(p.name for p in Path(demo["files"]).glob("*.csv")) == [
            "enrollments.csv",
            "schools.csv",
            "sections.csv",
            "students.csv",
            "teachers.csv",
        ]
        page = httpx.get(demo["url"] + "/login")
        csrf = page.text.split('name="login_csrf" value="')[1].split('"')[0]
        signed = httpx.post(
            demo["url"] + "/login",
            data={"email": demo["email"], "password": demo["password"], "login_csrf": csrf},
            cookies=page.cookies,
        )
        assert signed.status_code == 303
        assert "error" not in signed.headers["location"]
        me = httpx.get(demo["url"] + "/api/v1/me", cookies=signed.cookies).json()
        assert me["platform"] is True
        assert [o["slug"] for o in me["organizations"]] == ["demo-district"]


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


def test_serve_on_s3_logs_json_lines_with_request_ids(tmp_path: Path, s3: S3) -> None:
    data = tmp_path / "data"
    headers = prepare_data(data)  # on local files: it makes an empty blob folder
    (data / "blobs").rmdir()  # (empty: nothing was written in it)
    with served(
        data,
        ROSTERPORT_LOG_FORMAT="json",
        ROSTERPORT_BLOB_URL=s3.url("hub"),
        ROSTERPORT_S3_ENDPOINT=s3.endpoint,
    ) as server:
        ready = httpx.get(server.url + "/readyz")
        missing = httpx.get(
            server.url + "/api/v1/orgs/nowhere/versions",
            headers={**headers, "X-Request-ID": "support-ticket-77"},
        )
    assert ready.json()["status"] == "ready"
    assert "hub/health/readyz-probe" in s3.objects()
    assert missing.status_code == 404
    assert missing.json()["error"]["request_id"] == "support-ticket-77"
    logged = [json.loads(line) for line in server.output if line.startswith("{")]
    printed = [line for line in server.output if not line.startswith("{")]
    assert all(line.startswith("rosterport: ") for line in printed), printed  # the banner
    assert {"time", "level", "logger", "message"} <= set(logged[0])
    access = [e for e in logged if e.get("request_id") == "support-ticket-77"]
    assert access, logged
    assert "/api/v1/orgs/nowhere/versions" in str(access[0]["message"])
    assert not (data / "blobs").exists()  # the server on S3 made none


def test_admin_reset_password_prints_a_code_and_link_that_work_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rosterport.bootstrap import build_hub
    from rosterport.config import Settings
    from rosterport.services import password_resets

    data = ["--data-dir", str(tmp_path)]
    assert main(["org", "create", "springfield", *data]) == 0
    email = "Admin@Springfield.example"
    assert main(["admin", "create", "--email", email, "--org", "springfield", *data]) == 0
    capsys.readouterr()

    assert main(["admin", "reset-password", "--email", email, *data]) == 0
    out = capsys.readouterr().out
    assert "password reset for admin@springfield.example" in out
    code = re.search(r"code: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", out)
    path = re.search(r"link: (/reset-password\?token=\S+)", out)
    assert code is not None, out
    assert path is not None, out

    hub = build_hub(Settings(data_dir=tmp_path, sftp_port=0))
    address = "127.0.0.1"
    assert (
        password_resets.reset_with_code(
            hub, email, code.group(1), "the new password", address=address, limit=5
        )
        == "admin@springfield.example"
    )
    with pytest.raises(password_resets.ResetRefusedError):  # the link was the same reset
        password_resets.reset_with_token(
            hub, path.group(1).split("=")[1], "another password", address=address, limit=5
        )
    hub.engine.dispose()

    assert main(["admin", "reset-password", "--email", "nobody@x.example", *data]) == 2
    assert "no account for nobody@x.example" in capsys.readouterr().err
