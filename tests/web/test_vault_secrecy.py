"""A known password, set through an SSO upload and through the Users page, is found in
clear text nowhere but the launch connector's answer: not in pages, API answers, reports,
log output, any database row, nor any file under the data dir (snapshots, blobs, the
database file). The roster's initial passwords likewise (the directory keeps hashes).
Known gap: the uploaded original files, kept as sent for their download, hold them."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from rosterport.bootstrap import build_worker
from rosterport.csvio.sources import SourceFile
from rosterport.services import uploads
from rosterport.store.tables import metadata
from tests.web.api.test_directory import API, bearer, publish
from tests.web.conftest import Site, sign_in

UPLOADED = "Upl0aded-Vault-Secret"
TYPED = "Typ3d-By-An-Admin"
INITIAL = "eel7Thohd"  # students.csv Password of 738733110 in the valid district


def test_a_known_password_is_nowhere_but_in_the_connectors_answer(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    publish(site)
    auth = site.token()
    site.client.post(f"{API}/vault/apps", json={"id": "moodle", "name": "Moodle"}, headers=auth)
    org = site.home
    session = uploads.start(site.hub, org, "passport-sso")
    data = (
        "User_id,Username,Application_id,Application_username,Application_password\n"
        f"738733110,,moodle,diane,{UPLOADED}\n"
        f"404,,moodle,ghost,{UPLOADED}\n"  # an issue row: its report names no password
    ).encode()
    uploads.add_files(site.hub, org, session.id, [SourceFile.of("app_credentials.csv", data)])
    uploads.run_validation(site.hub, org, session.id, committed_by="a@x.org", source="api")
    version, _, _ = uploads.commit(site.hub, org, session.id, committed_by="a@x.org", source="api")
    build_worker(site.hub, name="tests").drain()

    csrf = sign_in(site.client, "admin@springfield.example")
    typed = site.client.post(
        "/orgs/springfield/users/913113920/credentials",
        data={"csrf_token": csrf, "app": "moodle", "username": "martha", "password": TYPED},
        follow_redirects=True,
    )
    assert "Credential set." in typed.text
    connector = bearer(site, ["vault.read:moodle"])
    read = site.client.get("/api/v1/vault/moodle/accounts/738733110", headers=connector)
    assert read.json()["password"] == UPLOADED  # the one way out
    read = site.client.get("/api/v1/vault/moodle/accounts/913113920", headers=connector)
    assert read.json()["password"] == TYPED

    shown = [typed.text]
    for path in (
        "/orgs/springfield",
        "/orgs/springfield/users",
        "/orgs/springfield/users?q=diane",
        "/orgs/springfield/history",
        f"/orgs/springfield/history/{version}",
    ):
        shown.append(site.client.get(path).text)
    for path in (
        f"{API}/accounts",
        f"{API}/accounts/738733110",
        f"{API}/vault/reads",
        f"{API}/versions",
        f"{API}/versions/{version}",
        f"{API}/versions/{version}/report",
        f"{API}/versions/{version}/report.csv",
    ):
        shown.append(site.client.get(path, headers=auth).text)
    assert "set on" in shown[2]
    roster = bearer(site, ["roster.readonly"])
    shown.append(site.client.get("/ims/oneroster/v1p1/users", headers=roster).text)
    shown.append(caplog.text)
    for secret in (UPLOADED, TYPED, INITIAL):
        assert [i for i, text in enumerate(shown) if secret in text] == []

    rows = []
    with site.hub.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows.extend(repr(tuple(r)) for r in conn.execute(sa.select(table)))
    for secret in (UPLOADED, TYPED, INITIAL):
        assert [r for r in rows if secret in r or secret.encode().hex() in r] == []

    on_disk = []
    for path in sorted(site.settings.data_dir.rglob("*")):
        # KNOWN GAP (reported, not this change): the uploaded files themselves are
        # kept as sent, for "download the originals" of the history; they are checked apart
        if path.is_file() and not path.relative_to(site.settings.data_dir).match(
            "blobs/uploads/*/files/*"
        ):
            content = path.read_bytes()
            on_disk.extend(
                (str(path), s) for s in (UPLOADED, TYPED, INITIAL) if s.encode() in content
            )
    assert on_disk == []
    originals = sorted(site.settings.data_dir.glob("blobs/uploads/*/files/*"))
    assert {p.name for p in originals} >= {"app_credentials.csv", "students.csv"}
