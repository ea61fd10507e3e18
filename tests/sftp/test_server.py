"""The hosted SFTP server, driven by the real OpenSSH `sftp` client."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import sqlalchemy as sa

from rosterport.domain.version_status import IN_PRODUCTION, VALIDATION_ERRORS
from rosterport.services import hosted_accounts
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.sftp.drops import account_folder
from rosterport.sftp.server import load_host_key
from rosterport.store.tables import versions
from tests.conftest import district
from tests.sftp.conftest import RuntimeFactory, needs_openssh, sftp, wait_for

pytestmark = needs_openssh

PASSWORD = "nightly-export-1"


def version_rows(hub: Hub) -> list[tuple[int, str, str, str]]:
    with hub.engine.connect() as conn:
        return [
            tuple(r)  # type: ignore[misc]  # a Row of four columns
            for r in conn.execute(
                sa.select(
                    versions.c.id, versions.c.committed_by, versions.c.source, versions.c.status
                ).order_by(versions.c.id)
            )
        ]


def in_production(hub: Hub, count: int = 1) -> bool:
    rows = version_rows(hub)
    return len(rows) >= count and rows[-1][3] == IN_PRODUCTION


def workdir(tmp_path: Path, files: dict[str, bytes], name: str = "upload") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for file, data in files.items():
        (folder / file).write_bytes(data)
    return folder


def results(folder: Path) -> list[dict]:
    found = sorted((folder / "results").glob("*.json")) if (folder / "results").exists() else []
    return [json.loads(p.read_text()) for p in found]


def test_key_upload_is_committed_by_the_integration(
    hub: Hub,
    org: Organization,
    serve: RuntimeFactory,
    keypair: tuple[Path, str],
    tmp_path: Path,
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", public_keys=public)
    runtime = serve()
    upload = workdir(tmp_path, district())
    done = sftp(runtime.port, "springfield-sis", ["put *.csv"], workdir=upload, key=key)
    assert done.returncode == 0, done.stderr
    wait_for(lambda: in_production(hub), what="the version to reach production")
    [(version, who, source, status)] = version_rows(hub)
    assert (who, source, status) == ("sftp:springfield-sis", "sftp", IN_PRODUCTION)
    folder = account_folder(runtime.data_dir, "springfield-sis")
    [result] = wait_for(lambda: results(folder), what="the result file")
    assert result["status"] == IN_PRODUCTION
    assert result["version"] == version
    assert result["changes"]["students.csv"]["added"] == 5
    assert not list(folder.glob("*.csv"))  # processed files leave the drop folder
    # the integrator can read the result over SFTP
    back = sftp(runtime.port, "springfield-sis", ["ls results"], workdir=upload, key=key)
    assert back.returncode == 0, back.stderr
    assert ".json" in back.stdout


def test_password_upload_of_a_zip_is_processed_when_it_is_closed(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path
) -> None:
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", password=PASSWORD)
    runtime = serve(sftp_quiet_seconds=600)  # a ZIP does not wait for the quiet period
    upload = workdir(tmp_path, {})
    with zipfile.ZipFile(upload / "district.zip", "w") as archive:
        for name, data in district().items():
            archive.writestr(name, data)
    done = sftp(
        runtime.port, "springfield-sis", ["put district.zip"], workdir=upload, password=PASSWORD
    )
    assert done.returncode == 0, done.stderr
    wait_for(lambda: in_production(hub), timeout=20, what="the ZIP to be processed")
    assert version_rows(hub)[0][1] == "sftp:springfield-sis"


def test_wrong_passwords_and_unknown_users_are_refused(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path
) -> None:
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", password=PASSWORD)
    runtime = serve()
    upload = workdir(tmp_path, {})
    for login, password in (("springfield-sis", "not-the-password"), ("nobody", PASSWORD)):
        done = sftp(runtime.port, login, ["ls"], workdir=upload, password=password)
        assert done.returncode != 0
        assert "Permission denied" in done.stderr


def test_partial_uploads_wait_for_the_rest_and_the_quiet_period(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path, keypair: tuple[Path, str]
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", public_keys=public)
    runtime = serve(sftp_quiet_seconds=3)
    upload = workdir(tmp_path, district())
    first = sftp(
        runtime.port,
        "springfield-sis",
        [f"put {n}" for n in sorted(district()) if n != "students.csv"],
        workdir=upload,
        key=key,
    )
    assert first.returncode == 0, first.stderr
    import time

    time.sleep(5)  # quiet, but students.csv is missing: not processed
    assert version_rows(hub) == []
    rest = sftp(runtime.port, "springfield-sis", ["put students.csv"], workdir=upload, key=key)
    assert rest.returncode == 0, rest.stderr
    time.sleep(1)  # complete now, but not quiet for 3 s yet
    assert version_rows(hub) == []
    wait_for(lambda: in_production(hub), what="the complete set to be processed")


def test_a_duplicate_upload_creates_no_version(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path, keypair: tuple[Path, str]
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", public_keys=public)
    runtime = serve()
    upload = workdir(tmp_path, district())
    folder = account_folder(runtime.data_dir, "springfield-sis")
    assert (
        sftp(runtime.port, "springfield-sis", ["put *.csv"], workdir=upload, key=key).returncode
        == 0
    )
    wait_for(lambda: in_production(hub), what="the first delivery")
    wait_for(lambda: len(results(folder)) == 1, what="the first result")
    assert (
        sftp(runtime.port, "springfield-sis", ["put *.csv"], workdir=upload, key=key).returncode
        == 0
    )
    [_, second] = wait_for(lambda: len(results(folder)) == 2 and results(folder), what="result")
    assert second["status"] == "Duplicate"
    assert len(version_rows(hub)) == 1


def test_an_invalid_upload_is_recorded_with_its_error_report(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path, keypair: tuple[Path, str]
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", public_keys=public)
    runtime = serve()
    upload = workdir(tmp_path, district("student-bad-dob"))
    assert (
        sftp(runtime.port, "springfield-sis", ["put *.csv"], workdir=upload, key=key).returncode
        == 0
    )
    folder = account_folder(runtime.data_dir, "springfield-sis")
    [result] = wait_for(lambda: results(folder), what="the result file")
    assert result["status"] == VALIDATION_ERRORS
    errors = (folder / "results" / result["error_report"]).read_text(encoding="utf-8-sig")
    assert errors.startswith("file,row,column,value,code,level,message")
    assert "invalid-format" in errors
    assert [r[3] for r in version_rows(hub)] == [VALIDATION_ERRORS]


def test_nobody_leaves_the_jail(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path, keypair: tuple[Path, str]
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", public_keys=public)
    hosted_accounts.add_hosted_account(hub, org, login="other-sis", password=PASSWORD)
    runtime = serve()
    upload = workdir(tmp_path, {"x.txt": b"hello"})
    folder = account_folder(runtime.data_dir, "springfield-sis")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "planted").symlink_to(outside)  # a link placed by someone else
    attempts = [
        ["cd .."],
        ["put x.txt ../x.txt"],
        ["put x.txt ../../x.txt"],
        [f"put x.txt {outside}/x.txt"],
        ["get /../../etc/passwd"],
        ["get ../other-sis/anything"],
        ["ln -s /etc/passwd link"],
        ["symlink x.txt link"],
        ["ln x.txt hardlink"],
        ["get planted/secret.txt"],
        ["put x.txt planted/x.txt"],
        ["ls planted"],
    ]
    for commands in attempts:
        done = sftp(runtime.port, "springfield-sis", commands, workdir=upload, key=key)
        assert done.returncode != 0, (commands, done.stdout)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert not (folder.parent / "x.txt").exists()
    assert not (upload / "secret.txt").exists()
    assert not (upload / "passwd").exists()
    # absolute paths are taken inside the jail: "/" is the account's folder
    done = sftp(
        runtime.port, "springfield-sis", ["put x.txt /x.txt", "ls /"], workdir=upload, key=key
    )
    assert done.returncode == 0, done.stderr
    assert (folder / "x.txt").read_bytes() == b"hello"


def test_files_past_the_upload_limit_are_refused(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path, keypair: tuple[Path, str]
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", public_keys=public)
    runtime = serve()  # sftp_max_upload_mb=1 in these tests
    upload = workdir(tmp_path, {"big.csv": b"x" * (2 * 2**20), "small.csv": b"y" * 1000})
    done = sftp(runtime.port, "springfield-sis", ["put big.csv"], workdir=upload, key=key)
    assert done.returncode != 0
    ok = sftp(runtime.port, "springfield-sis", ["put small.csv"], workdir=upload, key=key)
    assert ok.returncode == 0, ok.stderr
    folder = account_folder(runtime.data_dir, "springfield-sis")
    assert sorted(p.name for p in folder.iterdir()) == ["small.csv"]  # nothing of big.csv


def test_the_host_key_persists_in_the_data_dir(tmp_path: Path) -> None:
    first = load_host_key(tmp_path)
    again = load_host_key(tmp_path)
    assert first.export_public_key() == again.export_public_key()
    assert (tmp_path / "sftp_host_key").stat().st_mode & 0o777 == 0o600
