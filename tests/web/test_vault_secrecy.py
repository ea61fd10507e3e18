"""A known password, set through an SSO upload and through the Users page, is found in
clear text nowhere but the launch connector's answer: not in pages, API answers, reports,
log output, any database row, nor any file under the data dir (snapshots, blobs, the
database file). The roster's initial passwords likewise (the directory keeps hashes), and
SCIM applications' bearer tokens (a working one and a refused one: its failed push's
ledger row names no token). The uploaded original files are kept with their secret columns
emptied (csvio/originals.py)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from rosterport.csvio.sources import SourceFile
from rosterport.services import scim, upload_commit, upload_validation, uploads
from rosterport.store.tables import deliveries, metadata
from tests.scim_server import scim_server
from tests.web.api.test_directory import API, bearer, publish
from tests.web.conftest import Site, sign_in

UPLOADED = "Upl0aded-Vault-Secret"
TYPED = "Typ3d-By-An-Admin"
INITIAL = "eel7Thohd"  # students.csv Password of 738733110 in the valid district
SCIM_TOKEN = "Sc1m-Bearer-Token-Kept-Sealed"
SCIM_WRONG = "Sc1m-Refused-Token-Also-Sealed"
SECRETS = (UPLOADED, TYPED, INITIAL, SCIM_TOKEN, SCIM_WRONG)


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
    upload_validation.run_validation(
        site.hub, org, session.id, committed_by="a@x.org", source="api"
    )
    version, _, _ = upload_commit.commit(
        site.hub, org, session.id, committed_by="a@x.org", source="api"
    )
    with scim_server(SCIM_TOKEN) as server:
        for token in (SCIM_TOKEN, SCIM_WRONG):
            made = site.client.post(
                f"{API}/scim/apps", json={"base_url": server.url, "token": token}, headers=auth
            )
            scim.run_now(site.hub, scim.app_by_id(site.hub, made.json()["id"]))
        site.settle()
        assert len(server.users()) == 8  # the working token pushed
    failed = [d for d in scim_ledger(site) if d[1] is not None]
    assert failed
    assert "401" in failed[0][1]

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
        "/orgs/springfield/apps/scim",
        *{f"/orgs/springfield/versions/{v}/deliveries" for v, _ in scim_ledger(site)},
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
        f"{API}/scim/apps",
    ):
        shown.append(site.client.get(path, headers=auth).text)
    assert "set on" in shown[2]
    assert any("SCIM application" in text and "the application" in text for text in shown)
    roster = bearer(site, ["roster.readonly"])
    shown.append(site.client.get("/ims/oneroster/v1p1/users", headers=roster).text)
    shown.append(caplog.text)
    for secret in SECRETS:
        assert [i for i, text in enumerate(shown) if secret in text] == []

    rows = []
    with site.hub.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows.extend(repr(tuple(r)) for r in conn.execute(sa.select(table)))
    for secret in SECRETS:
        assert [r for r in rows if secret in r or secret.encode().hex() in r] == []

    on_disk = []
    for path in sorted(site.settings.data_dir.rglob("*")):
        if path.is_file():  # the uploaded originals too: kept with their secrets emptied
            content = path.read_bytes()
            on_disk.extend((str(path), s) for s in SECRETS if s.encode() in content)
    assert on_disk == []
    originals = sorted(site.settings.data_dir.glob("blobs/uploads/*/files/*"))
    assert {p.name for p in originals} >= {"app_credentials.csv", "students.csv"}


def scim_ledger(site: Site) -> list[tuple[int, str | None]]:
    """(version, last error) of the SCIM pushes' ledger rows."""
    d = deliveries.c
    with site.hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(d.version_id, d.last_error).where(d.consumer.like("scim:%"))
        ).all()
    return [(r[0], r[1]) for r in rows]
