"""The Application Gallery's API applications over HTTP: register (name, scopes, schools)
→ the secret on that answer only (not stored by the browser, never on the list); the list;
revoke; CSRF; another organization's page is 404; a bad choice is said and what was typed
kept."""

from __future__ import annotations

from rosterport.services import api_apps
from tests.web.admin.test_home import upload
from tests.web.conftest import Site, sign_in

PAGE = "/orgs/springfield/apps/api"


def _register(site: Site, csrf: str, **fields: object) -> tuple[int, str]:
    answer = site.client.post(PAGE, data={"csrf_token": csrf, **fields})  # type: ignore[arg-type]  # form lists
    return answer.status_code, answer.text


def _secret(html: str) -> str:
    return html.split('id="new-client-secret">')[1].split("<", maxsplit=1)[0]


def test_the_gallery_links_to_api_applications(site: Site) -> None:
    sign_in(site.client, "admin@springfield.example")
    page = site.client.get("/orgs/springfield/apps").text
    assert f'href="{PAGE}"' in page


def test_register_shows_the_secret_once_and_lists_the_application(site: Site) -> None:
    upload(site.hub, site.home)  # schools in production, to choose from
    csrf = sign_in(site.client, "admin@springfield.example")
    form = site.client.get(PAGE).text
    assert 'name="school" value="02M800"' in form

    answer = site.client.post(
        PAGE,
        data={
            "csrf_token": csrf,
            "name": "Library system",
            "scope": [api_apps.CORE, api_apps.DEMOGRAPHICS],
            "school": ["02M800"],
        },
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    secret = _secret(answer.text)
    (made,) = api_apps.list_apps(site.hub, site.home)
    assert made.name == "Library system"
    assert made.scopes == (api_apps.CORE, api_apps.DEMOGRAPHICS)
    assert made.schools == ("02M800",)
    token = site.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(made.client_id, secret)
    )
    assert token.status_code == 200

    listed = site.client.get(PAGE).text
    assert secret not in listed  # never again
    row = listed.split(f'data-client-id="{made.client_id}"')[1].split("</tr>")[0]
    assert "Roster (core), Demographics" in row
    assert "never" not in row  # the token request was a use


def test_revoke_asks_first_and_stops_the_application(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    made, secret = api_apps.create(site.hub, site.home, "Old LMS")
    page = site.client.get(PAGE).text
    assert 'data-confirm="Revoke Old LMS?' in page
    refused = site.client.post(f"{PAGE}/{made.client_id}/revoke", data={"csrf_token": "x"})
    assert refused.status_code == 403
    done = site.client.post(f"{PAGE}/{made.client_id}/revoke", data={"csrf_token": csrf})
    assert "its tokens no longer work" in done.text
    assert "Revoked" in done.text
    token = site.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(made.client_id, secret)
    )
    assert token.status_code == 401


def test_a_bad_choice_is_said_and_the_form_kept(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    status, text = _register(site, csrf, name="", scope=[api_apps.FULL])
    assert status == 400
    assert "An application needs a name" in text
    assert f'value="{api_apps.FULL}" checked' in text
    status, text = _register(site, csrf, name="X", scope=["https://evil.example/scope"])
    assert status == 400
    assert "Unknown scope" in text
    assert 'value="X"' in text
    assert not api_apps.list_apps(site.hub, site.home)


def test_another_organizations_applications_are_not_found(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    made, _ = api_apps.create(site.hub, site.other, "Theirs")
    assert site.client.get("/orgs/shelbyville/apps/api").status_code == 404
    answer = site.client.post(
        f"/orgs/shelbyville/apps/api/{made.client_id}/revoke", data={"csrf_token": csrf}
    )
    assert answer.status_code == 404
    own = site.client.post(f"{PAGE}/{made.client_id}/revoke", data={"csrf_token": csrf})
    assert "has no active application" in own.text  # nor through one's own organization
    assert api_apps.live_app(site.hub, made.client_id) is not None
