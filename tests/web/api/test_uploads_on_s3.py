"""The upload tool end to end with blobs in S3 (a real S3 API server on loopback): upload,
validate, commit, propagation, the history's downloads and a restore all go through the
bucket, and nothing is written under the data dir's blob folder."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.services import accounts
from rosterport.services.organizations import create_org
from rosterport.store import jobs as queue
from rosterport.web.app import create_app
from tests.s3server import S3
from tests.web.api.test_uploads import (
    VALID,
    put_folder,
    settle,
    start,
    upload_bad_dob,
    upload_valid,
)
from tests.web.conftest import PASSWORD, Site


@pytest.fixture
def site_on_s3(tmp_path: Path, s3: S3) -> Iterator[Site]:
    settings = Settings(
        data_dir=tmp_path / "data",
        sftp_port=0,
        blob_url=s3.url("hub"),
        s3_endpoint=s3.endpoint,
    )
    hub = build_hub(settings)
    home = create_org(hub, "springfield", "Springfield USD")
    other = create_org(hub, "shelbyville", "Shelbyville USD")
    accounts.create_account(hub, "admin@springfield.example", PASSWORD, org=home)
    with TestClient(create_app(hub, settings), base_url="http://testserver") as client:
        yield Site(hub, settings, client, home, other)


def test_upload_commit_history_and_restore_on_s3(site_on_s3: Site, s3: S3, tmp_path: Path) -> None:
    site = site_on_s3
    headers = site.token()

    # an upload that fails validation: its report is kept in the bucket
    _, body = upload_bad_dob(site, headers)
    assert body["state"] == "failed"
    report = site.client.get(
        f"/api/v1/orgs/springfield/versions/{body['version']}/report", headers=headers
    )
    assert report.status_code == 200
    assert "students.csv" in report.text
    assert "invalid-format" in report.text
    issues = site.client.get(
        f"/api/v1/orgs/springfield/versions/{body['version']}/issues", headers=headers
    ).json()
    assert issues["total"] >= 1

    # a valid upload: validate, verify changes (and page them), commit, propagate
    session = start(site, headers)
    assert put_folder(site, headers, session, VALID)["ready"]
    site.client.post(f"/api/v1/orgs/springfield/uploads/{session}/validate", headers=headers)
    changes = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/changes", headers=headers
    ).json()
    rows = len(VALID.joinpath("students.csv").read_text().strip().splitlines()) - 1
    assert changes["changes"]["students.csv"]["added"] == rows
    page = site.client.get(
        f"/api/v1/orgs/springfield/uploads/{session}/changes/students.csv",
        params={"limit": 2},
        headers=headers,
    ).json()
    assert page["total"] == rows
    committed = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/commit", headers=headers
    ).json()
    first = committed["version"]
    assert settle(site, headers, first) == "Successfully in production"
    assert not [k for k in s3.objects("hub/") if k.startswith(f"hub/sessions/{session}/")]
    assert any(k.startswith("hub/snapshots/") for k in s3.objects("hub/"))

    originals = site.client.get(
        f"/api/v1/orgs/springfield/versions/{first}/originals", headers=headers
    )
    assert originals.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(originals.content))
    assert sorted(archive.namelist()) == sorted(p.name for p in VALID.glob("*.csv"))
    assert archive.read("schools.csv") == VALID.joinpath("schools.csv").read_bytes()
    kept = list(csv.reader(io.StringIO(archive.read("students.csv").decode())))
    sent = list(csv.reader(VALID.joinpath("students.csv").open(newline="")))
    password = [h.lower() for h in sent[0]].index("password")
    assert [r[password] for r in kept[1:]] == [""] * (len(sent) - 1)  # secrets not kept
    assert [r[:password] for r in kept] == [r[:password] for r in sent]  # the rest as sent

    # one student fewer, then the first version restored
    changed = tmp_path / "changed"
    changed.mkdir()
    for path in VALID.glob("*.csv"):
        changed.joinpath(path.name).write_bytes(path.read_bytes())
    students = changed / "students.csv"
    students.write_text("".join(students.read_text().splitlines(keepends=True)[:-1]))
    second = upload_valid(site, headers, changed, allow_deletions=True)
    assert settle(site, headers, second) == "Successfully in production"
    restored = site.client.post(
        f"/api/v1/orgs/springfield/versions/{first}/restore",
        json={"allow_deletions": True},
        headers=headers,
    ).json()
    assert restored["changes"]["students.csv"]["added"] == 1, restored
    assert settle(site, headers, restored["version"]) == "Successfully in production"

    ready = site.client.get("/readyz").json()
    assert ready == {"status": "ready", "checks": {"database": "ok", "blobs": "ok"}}
    data = site.settings.data_dir
    assert not (data / "blobs").exists()  # nothing at all under the blob folder
    # the follow-up jobs of a version (the directory's password hashing) read the snapshot
    # after it is in production: once the queue is idle, every temporary local copy is gone
    for _ in range(600):
        busy = queue.list_jobs(site.hub.engine, state="running") or queue.list_jobs(
            site.hub.engine, state="queued"
        )
        if not busy:
            break
        time.sleep(0.05)
    assert list((data / "tmp").iterdir()) == []
