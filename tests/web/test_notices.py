"""Secrets never travel in URLs, and text from a URL is never shown as a message (issues 10
and 12): new API tokens and generated passwords are shown on the page that answers the POST
creating them, once; the notices of other forms are one-time notices in a signed cookie
(web/flash.py); `?notice=` and `?error=` show nothing."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from rosterport.web.flash import COOKIE
from tests.web.conftest import Site, sign_in

PHISHING = "Your account is locked. Call 555-0100"
SETTINGS = {"mode": "full", "default_threshold": "10", "model-passport-roster": "on"}


def _record_traffic(site: Site) -> list[httpx.Response]:
    """Every response the client receives from now on (redirects included)."""
    seen: list[httpx.Response] = []
    site.client.event_hooks["response"].append(seen.append)
    return seen


def _nowhere_but_the_page(seen: list[httpx.Response], page: httpx.Response, secret: str) -> None:
    """`secret` is in no URL and no header of the flow, and exactly once in `page`."""
    for answer in seen:
        assert secret not in str(answer.request.url)
        assert secret not in str(answer.url)
        for name, value in answer.headers.multi_items():
            assert secret not in value, name  # not in a Location nor in a cookie
    assert page.status_code == 200
    assert "location" not in page.headers
    assert page.headers["cache-control"] == "no-store"
    assert page.text.count(secret) == 1


def test_a_new_api_token_is_shown_once_on_the_page_that_creates_it(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    seen = _record_traffic(site)
    made = site.client.post(
        "/orgs/springfield/tokens", data={"csrf_token": csrf, "name": "SIS sync"}
    )
    token = made.text.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("rp_")
    assert [a.request.method for a in seen] == ["POST"]  # answered directly, no redirect
    _nowhere_but_the_page(seen, made, token)
    again = site.client.get("/orgs/springfield/tokens")
    assert token not in again.text
    assert "SIS sync" in again.text
    # and it works
    site.client.cookies.clear()
    me = site.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "admin@springfield.example"


def test_a_generated_password_is_shown_once_on_the_page_that_creates_it(site: Site) -> None:
    csrf = sign_in(site.client, "root@platform.example")
    seen = _record_traffic(site)
    made = site.client.post(
        "/admins",
        data={"csrf_token": csrf, "org": "springfield", "email": "new@springfield.example"},
    )
    password = made.text.split('id="new-password">')[1].split("<")[0]
    assert len(password) >= 10
    assert "Administrator new@springfield.example created for Springfield USD." in made.text
    _nowhere_but_the_page(seen, made, password)
    assert password not in site.client.get("/orgs").text
    site.client.cookies.clear()
    sign_in(site.client, "new@springfield.example", password)


def test_a_chosen_password_is_not_shown_back(site: Site) -> None:
    csrf = sign_in(site.client, "root@platform.example")
    chosen = "my own password 123"
    made = site.client.post(
        "/admins",
        data={
            "csrf_token": csrf,
            "org": "springfield",
            "email": "chosen@springfield.example",
            "password": chosen,
        },
    )
    assert "created for Springfield USD" in made.text
    assert chosen not in made.text


@pytest.mark.parametrize("field", ["error", "notice"])
def test_text_in_the_url_is_never_shown_as_a_message(site: Site, field: str) -> None:
    page = site.client.get("/login", params={field: PHISHING})
    assert page.status_code == 200
    assert "555-0100" not in page.text
    assert 'role="alert"' not in page.text
    assert 'role="status"' not in page.text
    csrf = sign_in(site.client, "admin@springfield.example")
    integration = site.client.post(
        "/api/v1/orgs/springfield/integrations",
        json={"server": "hosted", "username": "springfield-sis", "password": "long password 1"},
        headers={"X-CSRF-Token": csrf},
    ).json()["id"]
    pages = [
        "/orgs",
        "/orgs/springfield/upload",
        "/orgs/springfield/history",
        "/orgs/springfield/settings",
        "/orgs/springfield/tokens",
        "/orgs/springfield/apps",
        "/orgs/springfield/apps/sftp/new",
        f"/orgs/springfield/apps/sftp/{integration}",
        f"/orgs/springfield/apps/sftp/{integration}/schools",
    ]
    for path in pages:
        answer = site.client.get(path, params={field: PHISHING})
        assert answer.status_code == 200, path
        assert "555-0100" not in answer.text, path


def test_a_form_notice_is_shown_once_and_travels_in_no_url(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    saved = site.client.post(
        "/orgs/springfield/settings",
        data={**SETTINGS, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/orgs/springfield/settings"  # no text in the URL
    cookie = next(v for k, v in saved.headers.multi_items() if k == "set-cookie")
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "Settings saved" not in cookie  # signed, opaque to the eye; holds no secret
    # another page does not take it
    assert "Settings saved." not in site.client.get("/orgs/springfield/history").text
    shown = site.client.get("/orgs/springfield/settings")
    assert shown.text.count("Settings saved.") == 1
    assert "Settings saved." not in site.client.get("/orgs/springfield/settings").text


def test_an_error_of_a_form_is_a_one_time_notice_too(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    refused = site.client.post(
        "/orgs/springfield/tokens", data={"csrf_token": csrf, "name": " "}, follow_redirects=False
    )
    assert refused.headers["location"] == "/orgs/springfield/tokens"
    page = site.client.get("/orgs/springfield/tokens")
    assert 'role="alert"' in page.text
    assert "give the token a name" in page.text


def test_a_forged_notice_cookie_shows_nothing(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    site.client.post(
        "/orgs/springfield/settings",
        data={**SETTINGS, "csrf_token": csrf},
        follow_redirects=False,
    )
    [jar] = [c for c in site.client.cookies.jar if c.name == COOKIE]
    payload, mac = (jar.value or "").split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["notice"] = PHISHING
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    site.client.cookies.set(COOKIE, f"{forged}.{mac}", domain=jar.domain)
    page = site.client.get("/orgs/springfield/settings")
    assert "555-0100" not in page.text
    assert "Settings saved." not in page.text
    assert COOKIE not in site.client.cookies  # dropped
    site.client.cookies.set(COOKIE, "not-even.base64!", domain=jar.domain)
    assert site.client.get("/orgs/springfield/settings").status_code == 200
    assert COOKIE not in site.client.cookies
