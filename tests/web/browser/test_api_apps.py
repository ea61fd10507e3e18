"""An administrator registers an API application in the Application Gallery, copies its
secret (shown once), the application gets a token at POST /oauth/token and reads the
OneRoster API; the administrator revokes it (the page asks first) and the token is refused.
At 390 px the page does not scroll sideways. The screenshot of the API-applications page in
docs/images/ comes from this test."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.web.browser.conftest import Server
from tests.web.browser.test_dashboard import no_sideways_scroll, picture
from tests.web.browser.test_upload_tool import sign_in


def test_register_use_and_revoke_an_api_application(server: Server, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example", upload=False)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Application Gallery"
    ).click()
    page.locator("#api-applications").get_by_role("link", name="API applications").click()
    page.wait_for_url(re.compile(r".*/apps/api$"))
    page.get_by_label("Name").fill("Library system")
    page.get_by_label(re.compile("Demographics")).check()
    page.get_by_role("button", name="Register").click()

    client_id = page.locator("#new-client-id").inner_text()
    secret = page.locator("#new-client-secret").inner_text()
    assert len(secret) > 30
    picture(page, "14-api-applications")

    granted = httpx.post(
        server.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert granted.status_code == 200
    token = granted.json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    reads = httpx.get(server.url + "/ims/oneroster/v1p1/orgs", headers=bearer)
    assert reads.status_code != 401

    page.goto(page.url)  # the page asked again: the secret is gone for good
    assert page.locator("#new-client-secret").count() == 0
    assert secret not in page.content()
    row = page.locator(f'tr[data-client-id="{client_id}"]')
    assert "Roster (core), Demographics" in row.inner_text()
    assert "never" not in row.inner_text()  # used just now

    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    asked: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    row.get_by_role("button", name="Revoke").click()
    assert asked == [
        "Revoke Library system? It can no longer read the roster; its tokens stop working at once."
    ]
    assert row.get_by_role("button", name="Revoke").is_visible()  # dismissed: nothing done
    page.once("dialog", lambda d: answer(d, True))
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_selector("[role=status]")
    assert "its tokens no longer work" in page.locator("[role=status]").inner_text()
    assert "Revoked" in page.locator(f'tr[data-client-id="{client_id}"]').inner_text()

    refused = httpx.get(server.url + "/ims/oneroster/v1p1/orgs", headers=bearer)
    assert refused.status_code == 401
    again = httpx.post(
        server.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert again.status_code == 401
