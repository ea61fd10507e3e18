"""An organization administrator reaches only their own organization: every route that names
an organization answers 404 for another one (API and pages alike), as for one that does not
exist. Platform administrators reach all; API tokens reach their own organization only."""

from __future__ import annotations

import re

import pytest

from rosterport.csvio.sources import SourceFile
from rosterport.remote import Credentials
from rosterport.services import (
    accounts,
    api_apps,
    hosted_accounts,
    scim,
    sftp_export_targets,
    upload_commit,
    upload_validation,
    uploads,
    vault,
    webhook_endpoints,
)
from tests.conftest import DATA
from tests.web.conftest import Site, routes_of, sign_in

VALID = DATA / "passport" / "valid-district"


def _other_org_ids(site: Site) -> dict[str, str]:
    """Real ids inside the other organization, so that only access control can refuse."""
    org = site.other
    session = uploads.start(site.hub, org, "passport-roster")
    files = [SourceFile.of(p.name, p.read_bytes()) for p in sorted(VALID.glob("*.csv"))]
    uploads.add_files(site.hub, org, session.id, files)
    upload_validation.run_validation(
        site.hub, org, session.id, committed_by="x@y.org", source="api"
    )
    version, _, _ = upload_commit.commit(site.hub, org, session.id, committed_by="x", source="api")
    owner = next(a for a in accounts.list_accounts(site.hub) if a.org_id == org.id)
    accounts.create_token(site.hub, org, owner, "theirs")
    token_id = accounts.list_tokens(site.hub, org)[0].id
    pending = uploads.start(site.hub, org, "passport-roster")
    theirs = hosted_accounts.add_hosted_account(
        site.hub, org, login="theirs", password="their-password"
    )
    their_app, _ = api_apps.create(site.hub, org, "theirs")
    their_hook, _ = webhook_endpoints.add(
        site.hub, org, their_app.client_id, "https://hooks.invalid/x"
    )
    their_export = sftp_export_targets.add_export(
        site.hub, org, host="127.0.0.1", username="x", credentials=Credentials(password="x")
    )
    vault.create_app(site.hub, org, "moodle", "Moodle")
    their_scim = scim.add_app(
        site.hub, org, name="LMS", base_url="https://lms.invalid/scim/v2", token="t" * 32
    )
    return {
        "client_id": their_app.client_id,
        "endpoint_id": str(their_hook.id),
        "slug": org.slug,
        "session_id": pending.id,
        "version_id": str(version),
        "token_id": str(token_id),
        "file": "students.csv",
        "name": "students.csv",
        "action": "restore",
        "integration_id": str(theirs.id),
        "export_id": str(their_export.id),
        "step": "schools",
        "account": "738733110",
        "app": "moodle",
        "app_id": str(their_scim.id),
    }


def _org_routes(site: Site) -> list[tuple[str, str]]:
    every = routes_of(site.client.app.routes)  # type: ignore[attr-defined]
    return sorted({(method, path) for method, path in every if "{slug}" in path})


# a body every endpoint accepts, so that only access control can answer
BODY = {
    "model": "passport-roster",
    "email": "a@b.example",
    "slug": "x-y-z",
    "name": "n",
    "server": "hosted",
    "username": "someone",
    "password": "their-secret",
    "id": "moodle",
    "host": "127.0.0.1",
    "fingerprint": "SHA256:x",
    "mapping": {},
    "columns": {},
    "requirements": {},
    "ids": [],
    "url": "https://hooks.invalid/x",
    "base_url": "https://lms.invalid/scim/v2",
    "token": "t" * 32,
}


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def test_every_organization_route_is_covered(site: Site) -> None:
    routes = _org_routes(site)
    assert len(routes) >= 30  # API and pages; a new route is picked up by the tests below
    assert any(p.startswith("/api/v1/") for _, p in routes)
    assert any(not p.startswith("/api/") for _, p in routes)


def test_an_org_admin_gets_404_for_every_route_of_another_org(site: Site) -> None:
    ids = _other_org_ids(site)
    csrf = sign_in(site.client, "admin@springfield.example")
    refused = []
    for method, path in _org_routes(site):
        url = _fill(path, ids)
        multipart = method == "POST" and path.endswith(("/files", "/source"))
        params = {"first": ids["version_id"], "second": ids["version_id"]}
        answer = site.client.request(
            method,
            url,
            params=params if path.endswith("/compare") else None,
            headers={"X-CSRF-Token": csrf},
            data={"csrf_token": csrf} if not path.startswith("/api/") else None,
            json=BODY
            if path.startswith("/api/") and method in {"POST", "PUT"} and not multipart
            else None,
            files={"files": ("students.csv", b"x"), "file": ("orgs.csv", b"x")}
            if multipart
            else None,
            follow_redirects=False,
        )
        if answer.status_code != 404:
            refused.append((method, url, answer.status_code, answer.text[:200]))
        elif path.startswith("/api/"):
            assert answer.json()["error"]["code"] == "not_found"
    assert refused == []


def test_an_api_token_reaches_only_its_own_organization(site: Site) -> None:
    ids = _other_org_ids(site)
    headers = site.token()
    for method, path in _org_routes(site):
        if not path.startswith("/api/"):
            continue
        answer = site.client.request(
            method,
            _fill(path, ids),
            params={"first": 1, "second": 1} if path.endswith("/compare") else None,
            json=BODY
            if method in {"POST", "PUT"} and not path.endswith(("/files", "/source"))
            else None,
            files={"files": ("a.csv", b"x"), "file": ("orgs.csv", b"x")}
            if path.endswith(("/files", "/source"))
            else None,
            headers=headers,
        )
        assert answer.status_code == 404, (method, path, answer.text)
    # even a platform administrator's token is bound to the organization it was made for
    root = site.token(site.home, email="root@platform.example")
    other = site.client.get("/api/v1/orgs/shelbyville/versions", headers=root)
    assert other.status_code == 404


def test_a_platform_admin_reaches_every_organization(site: Site) -> None:
    sign_in(site.client, "root@platform.example")
    for slug in ("springfield", "shelbyville"):
        assert site.client.get(f"/api/v1/orgs/{slug}/versions").status_code == 200
        assert site.client.get(f"/orgs/{slug}/history").status_code == 200
    assert {o["slug"] for o in site.client.get("/api/v1/orgs").json()} == {
        "springfield",
        "shelbyville",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/orgs"), ("POST", "/api/v1/orgs/springfield/admins")],
)
def test_only_platform_admins_create_orgs_and_admins(site: Site, method: str, path: str) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    answer = site.client.request(
        method,
        path,
        json={"slug": "new-district", "email": "new@springfield.example"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


def test_a_platform_admin_creates_an_org_and_its_admin(site: Site) -> None:
    csrf = sign_in(site.client, "root@platform.example")
    headers = {"X-CSRF-Token": csrf}
    made = site.client.post("/api/v1/orgs", json={"slug": "ogdenville"}, headers=headers)
    assert made.status_code == 201, made.text
    admin = site.client.post(
        "/api/v1/orgs/ogdenville/admins", json={"email": "a@ogdenville.example"}, headers=headers
    ).json()
    assert len(admin["password"]) >= 10
    site.client.cookies.clear()
    sign_in(site.client, "a@ogdenville.example", admin["password"])
    assert [o["slug"] for o in site.client.get("/api/v1/orgs").json()] == ["ogdenville"]


def test_the_admin_form_names_its_organization_in_a_field_and_is_checked_too(
    site: Site,
) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    answer = site.client.post(
        "/admins",
        data={"csrf_token": csrf, "org": "shelbyville", "email": "x@shelbyville.example"},
    )
    assert answer.status_code == 404
