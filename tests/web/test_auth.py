"""Signing in and out, session cookies, CSRF, rate limiting, API tokens, error envelope."""

from __future__ import annotations

import httpx

from tests.web.conftest import PASSWORD, Site, sign_in


def _login(site: Site, email: str, password: str) -> httpx.Response:
    page = site.client.get("/login")
    csrf = page.text.split('name="login_csrf" value="')[1].split('"')[0]
    return site.client.post(
        "/login",
        data={"email": email, "password": password, "login_csrf": csrf},
        follow_redirects=False,
    )


def test_pages_need_a_sign_in(site: Site) -> None:
    answer = site.client.get("/orgs/springfield/upload", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=/orgs/springfield/upload")


def test_the_session_cookie_is_http_only_and_same_site(site: Site) -> None:
    page = site.client.get("/login")
    csrf = page.text.split('name="login_csrf" value="')[1].split('"')[0]
    answer = site.client.post(
        "/login",
        data={"email": "admin@springfield.example", "password": PASSWORD, "login_csrf": csrf},
        follow_redirects=False,
    )
    cookie = next(
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and "session" in v
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert site.client.get("/", follow_redirects=False).headers["location"] == ("/orgs/springfield")


def test_a_wrong_password_says_so_without_telling_which_part(site: Site) -> None:
    wrong = _login(site, "admin@springfield.example", "not the password")
    unknown = _login(site, "nobody@nowhere.example", "whatever it is")
    for answer in (wrong, unknown):
        # the sign-in page answers the POST itself: no redirect, no message in a URL
        assert answer.status_code == 401
        assert "location" not in answer.headers
        assert "Wrong e-mail address or password" in answer.text
        assert 'name="login_csrf"' in answer.text  # a fresh form to try again


def test_sign_ins_are_rate_limited(site: Site) -> None:
    for _ in range(site.settings.login_attempts):
        assert _login(site, "admin@springfield.example", "bad password!").status_code == 401
    # now even the right password is refused until the window has passed
    refused = _login(site, "admin@springfield.example", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert "rosterport_session" not in site.client.cookies


def test_the_login_form_needs_its_own_token(site: Site) -> None:
    answer = site.client.post(
        "/login",
        data={"email": "admin@springfield.example", "password": PASSWORD, "login_csrf": "x"},
        follow_redirects=False,
    )
    assert answer.status_code == 400
    assert "The sign-in form expired" in answer.text
    assert "rosterport_session" not in site.client.cookies


def test_state_changes_need_the_csrf_token(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    refused = site.client.post(
        "/api/v1/orgs/springfield/uploads", json={"model": "passport-roster"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    form = site.client.post("/orgs/springfield/tokens", data={"name": "x"})
    assert form.status_code == 403
    accepted = site.client.post(
        "/api/v1/orgs/springfield/uploads",
        json={"model": "passport-roster"},
        headers={"X-CSRF-Token": csrf},
    )
    assert accepted.status_code == 201


def test_sign_out_ends_the_session(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    site.client.post("/logout", data={"csrf_token": csrf})
    assert site.client.get("/api/v1/me").status_code == 401


def test_tokens_are_created_listed_and_revoked_in_the_ui(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    made = site.client.post(
        "/orgs/springfield/tokens", data={"csrf_token": csrf, "name": "SIS sync"}
    )
    token = made.text.split('id="new-token">')[1].split("<")[0].strip()
    assert token.startswith("rp_")
    site.client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert site.client.get("/api/v1/me", headers=bearer).json()["email"] == (
        "admin@springfield.example"
    )
    csrf = sign_in(site.client, "admin@springfield.example")
    listed = site.client.get("/api/v1/orgs/springfield/tokens").json()
    assert [t["name"] for t in listed] == ["SIS sync"]
    assert "token" not in listed[0]
    site.client.post(
        f"/orgs/springfield/tokens/{listed[0]['id']}/revoke", data={"csrf_token": csrf}
    )
    site.client.cookies.clear()
    assert site.client.get("/api/v1/me", headers=bearer).status_code == 401


def test_every_api_error_has_one_shape(site: Site) -> None:
    headers = site.token()
    answers = [
        site.client.get("/api/v1/nothing-here", headers=headers),
        site.client.get("/api/v1/me"),
        site.client.post("/api/v1/orgs/springfield/uploads", json={}, headers=headers),
        site.client.post(
            "/api/v1/orgs/springfield/uploads", json={"model": "nope"}, headers=headers
        ),
        site.client.get("/api/v1/orgs/springfield/versions/999", headers=headers),
        site.client.post("/api/v1/orgs/springfield/uploads/abc/validate", headers=headers),
    ]
    assert [a.status_code for a in answers] == [404, 401, 422, 400, 404, 404]
    for answer in answers:
        error = answer.json()["error"]
        assert set(error) >= {"status", "code", "message"}
        assert error["status"] == answer.status_code
        assert "Traceback" not in answer.text


def test_openapi_document_lists_the_api(site: Site) -> None:
    spec = site.client.get("/openapi.json").json()
    paths = spec["paths"]
    assert "/api/v1/orgs/{slug}/uploads/{session_id}/validate" in paths
    assert "/api/v1/orgs/{slug}/versions/{version_id}/originals" in paths
    assert not any(p.startswith("/orgs") or p == "/login" for p in paths)
    docs = site.client.get("/api/docs")
    assert docs.status_code == 200
    assert "/api/v1/orgs/{slug}/uploads" in docs.text
    assert "https://" not in docs.text


def test_pages_load_nothing_from_elsewhere(site: Site) -> None:
    sign_in(site.client, "admin@springfield.example")
    for page in ("upload", "history", "settings", "tokens"):
        answer = site.client.get(f"/orgs/springfield/{page}")
        assert answer.status_code == 200, page
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        assert "http://" not in answer.text
        assert "https://" not in answer.text
