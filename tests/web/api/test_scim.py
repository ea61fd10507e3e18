"""SCIM provisioning through the API: create (the token never answered back), a version
uploaded through the API is pushed by the embedded worker, run now, delete, scoping."""

from __future__ import annotations

from tests.scim_server import scim_server
from tests.sftp.conftest import wait_for
from tests.web.api.test_uploads import upload_valid
from tests.web.conftest import Site

API = "/api/v1/orgs/springfield/scim/apps"
TOKEN = "api-Bearer-Secret-5e77"


def test_an_app_is_created_pushed_after_a_version_and_deleted(site: Site) -> None:
    headers = site.token()
    with scim_server(TOKEN) as server:
        made = site.client.post(
            API,
            json={"name": "LMS", "base_url": server.url, "token": TOKEN, "roles": ["teacher"]},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        assert TOKEN not in made.text
        one = f"{API}/{made.json()['id']}"

        upload_valid(site, headers)  # committed, propagated, then pushed by the worker
        wait_for(lambda: len(server.users()) == 3, what="the push of the three teachers")
        shown = wait_for(
            lambda: (d := site.client.get(one, headers=headers).json())["last_version_id"] and d,
            what="the push's record",
        )
        assert shown["last_counts"]["created"] == 3
        listed = site.client.get(API, headers=headers)
        assert [a["name"] for a in listed.json()] == ["LMS"]
        assert TOKEN not in listed.text
        assert site.client.post(f"{one}/run", headers=headers).status_code == 202

    wrong = site.client.post(API, json={"base_url": "mailto:x", "token": TOKEN}, headers=headers)
    assert wrong.status_code == 400
    assert TOKEN not in wrong.text
    assert site.client.delete(one, headers=headers).status_code == 204
    assert site.client.get(one, headers=headers).status_code == 404


def test_another_organizations_app_is_not_found(site: Site) -> None:
    made = site.client.post(
        API, json={"base_url": "https://a.example/scim", "token": TOKEN}, headers=site.token()
    )
    other = site.token(site.other, "admin@shelbyville.example")
    theirs = f"/api/v1/orgs/shelbyville/scim/apps/{made.json()['id']}"
    assert site.client.get(theirs, headers=other).status_code == 404
    assert site.client.get(f"{API}/{made.json()['id']}", headers=other).status_code in (403, 404)
