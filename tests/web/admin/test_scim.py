"""The Application Gallery's SCIM applications over HTTP: the gallery links to them; add
(name, URL, token, roles, schools) — the token never on a page; a web upload is pushed by
the embedded worker; push now; remove; a bad URL is said and what was typed kept."""

from __future__ import annotations

from rosterport.services import scim
from tests.scim_server import scim_server
from tests.sftp.conftest import wait_for
from tests.web.admin.test_home import upload
from tests.web.conftest import Site, sign_in

PAGE = "/orgs/springfield/apps/scim"
TOKEN = "admin-Page-Bearer-0b3e"


def test_add_push_after_a_web_upload_and_remove(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    assert f'href="{PAGE}"' in site.client.get("/orgs/springfield/apps").text
    with scim_server(TOKEN) as server:
        added = site.client.post(
            PAGE,
            data={
                "csrf_token": csrf,
                "name": "Learning platform",
                "base_url": server.url,
                "token": TOKEN,
                "role": ["student", "teacher"],
            },
        )
        assert added.status_code == 200, added.text  # the redirect, followed
        assert "SCIM application added" in added.text
        assert TOKEN not in added.text
        (app,) = scim.list_apps(site.hub, site.home)
        assert app.settings.roles == ("student", "teacher")

        upload(site.hub, site.home)  # a web upload, committed: the worker pushes it
        wait_for(lambda: len(server.users()) == 8, what="the push")
        listed = wait_for(
            lambda: "version" in (t := site.client.get(PAGE).text).split("scim-apps")[1] and t,
            what="the push on the page",
        )
        assert "created 8" in listed
        assert TOKEN not in listed
        pushed = site.client.post(f"{PAGE}/{app.id}/run", data={"csrf_token": csrf})
        assert "Push queued" in pushed.text

    wrong = site.client.post(
        PAGE, data={"csrf_token": csrf, "name": "Typed", "base_url": "nowhere", "token": TOKEN}
    )
    assert wrong.status_code == 400
    assert "base URL" in wrong.text
    assert 'value="Typed"' in wrong.text
    assert TOKEN not in wrong.text
    removed = site.client.post(f"{PAGE}/{app.id}/remove", data={"csrf_token": csrf})
    assert "SCIM application removed" in removed.text
    assert scim.list_apps(site.hub, site.home) == []


def test_another_organizations_page_refuses(site: Site) -> None:
    sign_in(site.client, "admin@shelbyville.example")
    assert site.client.get(PAGE).status_code in (403, 404)
