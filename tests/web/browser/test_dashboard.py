"""An administrator signs in and lands on the organization's home: production versions, the
last upload per source, a Held upload with its actions (Discard asks first), filtered
records, trends; readable at 390 px without sideways scrolling. The screenshots of the
dashboard in docs/images/ come from this test (written there only with
ROSTERPORT_DOC_IMAGES=1, so a test run leaves the checkout as it was)."""

from __future__ import annotations

import os
import re
from typing import Any

from rosterport.services.hub import Hub
from rosterport.services.organizations import get_org
from tests.web.admin.test_home import BAD_DOB, upload
from tests.web.browser.conftest import ROOT, Server, artifacts
from tests.web.browser.test_upload_tool import sign_in

IMAGES = ROOT / "docs" / "images"


def picture(page: Any, name: str) -> None:
    """A screenshot for the docs: into docs/images/ when ROSTERPORT_DOC_IMAGES=1 (refreshing
    them), else beside the other test screenshots."""
    folder = IMAGES if os.environ.get("ROSTERPORT_DOC_IMAGES") == "1" else artifacts()
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_dashboard_after_sign_in(server: Server, browser: Any, hub: Hub) -> None:
    org = get_org(hub, "springfield")
    first, _ = upload(hub, org, source="api")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example", upload=False)
    page.get_by_role("heading", name=re.compile("Home")).wait_for()
    assert page.locator("#all-clear").is_visible()
    row = page.locator('#production tr[data-model="passport-roster"]')
    assert f"{first}" in row.inner_text()
    for _ in range(100):  # the embedded worker delivers the version
        if "Successfully in production" in row.inner_text():
            break
        page.wait_for_timeout(200)
        page.reload()
    assert "Successfully in production" in row.inner_text()
    assert "REST API" in page.locator("#sources").inner_text()
    picture(page, "10-dashboard")

    # an upload removing most enrollments is Held: the dashboard says what to do
    held, status = upload(hub, org, source="api", drop_enrollments=True)
    assert status == "Held"
    page.reload()
    item = page.locator(f'#todo li[data-version="{held}"]')
    assert "Approve it if that is right, or discard it." in item.inner_text()
    picture(page, "11-dashboard-held")
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    item.get_by_role("button", name="Discard").click()
    assert dialogs
    assert "Discard version" in dialogs[0]
    assert item.is_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    item.get_by_role("button", name="Discard").click()
    page.get_by_text(f"Version {held} discarded.").wait_for()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    page.locator("#all-clear").wait_for()

    # a web upload whose invalid dates of birth were filtered (Warn) says so
    filtered, _ = upload(hub, org, students=BAD_DOB, warn=True)
    page.reload()
    row = page.locator('#production tr[data-model="passport-roster"]')
    assert "4 records filtered" in row.inner_text()
    assert f'data-version="{filtered}"' in page.locator("#trends").inner_html()
    picture(page, "12-dashboard-filtered")
    assert no_sideways_scroll(page)

    # on a phone: the navigation wraps, nothing is wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert no_sideways_scroll(page)
    home = page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens")
    box = home.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
    page.close()
