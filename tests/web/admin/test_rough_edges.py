"""Rough edges of the admin UI (issue 12, item 4): wording, titles, the favicon, the
history's Discarded rows and reports, and an upload that changes nothing."""

from __future__ import annotations

import pytest

from rosterport.csvio.sources import SourceFile
from rosterport.domain.version_status import HELD
from rosterport.services import hosted_accounts, uploads
from rosterport.services import integration_setup as setup
from rosterport.services import versions as v
from tests.conftest import DATA
from tests.web.admin.test_home import upload
from tests.web.conftest import Site, sign_in

VALID = DATA / "passport" / "valid-district"


def test_the_favicon_is_served(site: Site) -> None:
    answer = site.client.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.text.startswith("<svg")


def test_the_apis_401_points_at_the_api_tokens_page(site: Site) -> None:
    answer = site.client.get("/api/v1/orgs/springfield/versions")
    assert answer.status_code == 401
    assert "API tokens page" in answer.json()["error"]["message"]


def test_the_api_docs_page_shows_code_not_backticks(site: Site) -> None:
    page = site.client.get("/api/docs").text
    description = page.split("<h1>")[1].split("<table")[0]
    assert "`" not in description
    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in description


def test_history_names_models_and_says_what_a_discarded_upload_did(site: Site) -> None:
    clean, _ = upload(site.hub, site.home, source="api")
    held, status = upload(site.hub, site.home, source="api", drop_enrollments=True)
    assert status == HELD
    v.discard(site.hub, site.home, held)
    sign_in(site.client, "admin@springfield.example")
    page = site.client.get("/orgs/springfield/history").text
    discarded = page.split(f'id="v{held}"')[1].split("</tr>")[0]
    assert "Discarded: nothing was changed." in discarded
    assert "removed" not in discarded
    first = page.split(f'id="v{clean}"')[1].split("</tr>")[0]
    assert '<td title="passport-roster">Passport Roster Data</td>' in first
    assert "/report" not in first  # a clean version has no errors report to link
    assert "No validation issues" in first


@pytest.mark.parametrize("verify", [True, False], ids=["verified", "straight-after-validation"])
def test_an_upload_that_changes_nothing_cannot_be_committed_from_the_web(
    site: Site, verify: bool
) -> None:
    upload(site.hub, site.home, source="api")
    csrf = sign_in(site.client, "admin@springfield.example")
    web = {"X-CSRF-Token": csrf}
    started = site.client.post(
        "/api/v1/orgs/springfield/uploads", json={"model": "passport-roster"}, headers=web
    ).json()
    session = started["id"]
    files = [SourceFile.of(p.name, p.read_bytes()) for p in sorted(VALID.glob("*.csv"))]
    uploads.add_files(site.hub, site.home, session, files)
    base = f"/api/v1/orgs/springfield/uploads/{session}"
    assert site.client.post(f"{base}/validate", headers=web).status_code == 200
    if verify:
        changes = site.client.post(f"{base}/changes", headers=web).json()
        assert all(not any(c.values()) for c in changes["changes"].values())
    refused = site.client.post(f"{base}/commit", json={}, headers=web)
    assert refused.status_code == 400
    assert "changes nothing" in refused.json()["error"]["message"]
    # the refusal leaves the upload where a person can see why: its changes verified
    assert site.client.get(base, headers=web).json()["state"] == "previewed"
    # an API client may still record such a version (a nightly sync that found no change)
    token = site.token()
    assert site.client.post(f"{base}/commit", json={}, headers=token).status_code == 200


def test_delivery_config_keeps_what_was_typed_and_says_what_is_wrong(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    answer = site.client.post(
        "/orgs/springfield/apps/sftp/new",
        data={
            "csrf_token": csrf,
            "server": "custom",
            "host": "sftp.district.example",
            "port": "2222",
            "username": "district-sis",
            "auth": "password",
            "password": "a secret password",
            "model": "oneroster-1.1",
            "pattern": "*.csv",
            "interval_minutes": "nightly",
            "notify": "it@district.example",
        },
    )
    assert answer.status_code == 400
    page = answer.text
    assert "Traceback" not in page
    assert "ValueError" not in page
    assert 'id="interval_minutes-error"' in page
    field = page.split('id="interval_minutes"')[1].split("</p>")[0]
    assert 'value="nightly"' in field
    assert 'aria-invalid="true"' in field
    assert "The pull interval (minutes) must be a whole number" in field
    for typed in ("sftp.district.example", "2222", "district-sis", "*.csv", "it@district.example"):
        assert f'value="{typed}"' in page, typed
    assert 'value="custom" checked' in page
    assert 'value="oneroster-1.1" selected' in page
    assert "a secret password" not in page  # secrets are never sent back
    assert "<details open" in page  # the field at fault is in the advanced settings


def test_schools_mapping_offers_schools_committed_through_another_model(site: Site) -> None:
    upload(site.hub, site.home, source="api")  # Passport Roster: schools 02M800 and 13K123
    feed = hosted_accounts.add_hosted_account(
        site.hub, site.home, login="oneroster", password="a-long-password", model="oneroster-1.1"
    )
    schools = setup.existing_schools(site.hub, site.home, feed.model)
    assert {s.id for s in schools} == {"02M800", "13K123"}
    assert all(s.name for s in schools)  # with their names, from schools.csv
