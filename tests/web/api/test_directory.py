"""The accounts and vault API in-process (SQLite, the real domain mapping): the directory
listing with its filters and paging, vault applications, credentials set / replaced /
cleared (shown only as "set_at"), and the launch connector's read with an OAuth 2.0 bearer
of an API application holding vault.read:<app>, audited and rate-limited."""

from __future__ import annotations

import dataclasses

from rosterport.csvio.sources import SourceFile
from rosterport.services import api_apps, upload_commit, upload_validation, uploads
from rosterport.services.organizations import update_settings
from tests.conftest import district
from tests.services.test_propagation import commit
from tests.web.conftest import Site

API = "/api/v1/orgs/springfield"
SECRET = "Vault-Only-9x7"


def publish(site: Site) -> None:
    org = update_settings(
        site.hub, site.home, dataclasses.replace(site.home.settings, default_threshold=1.0)
    )
    commit(site.hub, org, district())
    site.settle()


def bearer(site: Site, scopes: list[str]) -> dict[str, str]:
    made, secret = api_apps.create(site.hub, site.home, "connector", scopes)
    answer = site.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(made.client_id, secret)
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_accounts_listing_filters_and_paging(site: Site) -> None:
    publish(site)
    auth = site.token()
    everyone = site.client.get(f"{API}/accounts", headers=auth).json()
    assert everyone["total"] == len(everyone["accounts"]) > 3
    assert {a["state"] for a in everyone["accounts"]} == {"active"}
    diane = site.client.get(f"{API}/accounts", params={"q": "diane"}, headers=auth).json()
    assert [a["sourcedId"] for a in diane["accounts"]] == ["738733110"]
    assert diane["accounts"][0]["schools"] == ["02M800"]
    by_mail = site.client.get(f"{API}/accounts", params={"q": "G_MARTHA@"}, headers=auth).json()
    assert [a["sourcedId"] for a in by_mail["accounts"]] == ["913113920"]
    teachers = site.client.get(f"{API}/accounts", params={"role": "teacher"}, headers=auth)
    assert {a["role"] for a in teachers.json()["accounts"]} == {"teacher"}
    school = site.client.get(f"{API}/accounts", params={"school": "13K123"}, headers=auth)
    assert all("13K123" in a["schools"] for a in school.json()["accounts"])
    assert school.json()["total"] < everyone["total"]
    paged = site.client.get(f"{API}/accounts", params={"offset": 1, "limit": 2}, headers=auth)
    assert [a["id"] for a in paged.json()["accounts"]] == [
        a["id"] for a in everyone["accounts"][1:3]
    ]
    one = site.client.get(f"{API}/accounts/738733110", headers=auth).json()
    assert (one["givenName"], one["username"], one["credentials"]) == ("Diane", "dianes10", [])
    assert site.client.get(f"{API}/accounts/nobody", headers=auth).status_code == 404


def test_credentials_are_set_shown_as_a_date_and_read_only_by_the_connector(site: Site) -> None:
    publish(site)
    auth = site.token()
    made = site.client.post(
        f"{API}/vault/apps", json={"id": "moodle", "name": "Moodle"}, headers=auth
    )
    assert made.status_code == 201
    put = site.client.put(
        f"{API}/accounts/738733110/credentials/moodle",
        json={"username": "diane", "password": SECRET},
        headers=auth,
    )
    assert put.status_code == 200
    assert SECRET not in put.text
    assert [c["application"] for c in put.json()["credentials"]] == ["moodle"]
    assert put.json()["credentials"][0]["set_at"]

    assert site.client.get("/api/v1/vault/moodle/accounts/738733110").status_code == 401
    roster_only = bearer(site, ["roster-core.readonly"])
    assert (
        site.client.get("/api/v1/vault/moodle/accounts/738733110", headers=roster_only).status_code
        == 403
    )
    connector = bearer(site, ["vault.read:moodle"])
    read = site.client.get("/api/v1/vault/moodle/accounts/738733110", headers=connector)
    assert read.json() == {"username": "diane", "password": SECRET}
    missing = site.client.get("/api/v1/vault/moodle/accounts/913113920", headers=connector)
    assert missing.status_code == 404
    audit = site.client.get(f"{API}/vault/reads", headers=auth).json()
    assert [r["outcome"] for r in audit["reads"]] == ["not-found", "read", "refused"]
    mine = site.client.get(f"{API}/vault/reads", params={"account": "738733110"}, headers=auth)
    assert mine.json()["total"] == 2

    cleared = site.client.delete(f"{API}/accounts/738733110/credentials/moodle", headers=auth)
    assert cleared.json()["credentials"] == []
    gone = site.client.get("/api/v1/vault/moodle/accounts/738733110", headers=connector)
    assert gone.status_code == 404


def test_connector_reads_are_rate_limited(site: Site) -> None:
    publish(site)
    auth = site.token()
    site.client.post(f"{API}/vault/apps", json={"id": "moodle", "name": "Moodle"}, headers=auth)
    site.client.app.state.settings = site.settings.model_copy(  # type: ignore[attr-defined]  # Starlette's app
        update={"vault_reads_per_minute": 2}
    )
    connector = bearer(site, ["vault.read"])
    codes = [
        site.client.get("/api/v1/vault/moodle/accounts/738733110", headers=connector).status_code
        for _ in range(3)
    ]
    assert codes == [404, 404, 429]


def test_an_sso_upload_through_the_api_lands_in_the_vault(site: Site) -> None:
    publish(site)
    auth = site.token()
    site.client.post(f"{API}/vault/apps", json={"id": "moodle", "name": "Moodle"}, headers=auth)
    org = site.home
    session = uploads.start(site.hub, org, "passport-sso")
    data = (
        "User_id,Username,Application_id,Application_username,Application_password\n"
        f"738733110,,moodle,diane,{SECRET}\n"
    ).encode()
    uploads.add_files(site.hub, org, session.id, [SourceFile.of("app_credentials.csv", data)])
    upload_validation.run_validation(
        site.hub, org, session.id, committed_by="a@x.org", source="api"
    )
    upload_commit.commit(site.hub, org, session.id, committed_by="a@x.org", source="api")
    site.settle()
    connector = bearer(site, ["vault.read:moodle"])
    read = site.client.get("/api/v1/vault/moodle/accounts/738733110", headers=connector)
    assert read.json()["password"] == SECRET
