"""An administrator finds a student on the Users page (by name, then by e-mail), sets a
password-vault credential for the student, sees "set on DATE" and never the password, and
clears it. Then a new version without the student: the account is suspended, and the
state filter finds it. At 390 px the page does not scroll sideways."""

from __future__ import annotations

import re
from typing import Any

from rosterport.domain.version_status import HELD, IN_PRODUCTION
from rosterport.services import vault
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import get_org
from tests.web.admin.test_home import VALID, upload
from tests.web.browser.conftest import Server
from tests.web.browser.test_dashboard import no_sideways_scroll
from tests.web.browser.test_retry import _status
from tests.web.browser.test_upload_tool import sign_in

SECRET = "Vault-Only-7d2f"  # the credential typed into the form: never shown back


def _wait_in_production(page: Any, hub: Hub, version: int) -> None:
    for _ in range(200):
        if _status(hub, version) == IN_PRODUCTION:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"version {version} is {_status(hub, version)!r}, not in production")


def _search(page: Any, text: str, state: str = "") -> Any:
    page.get_by_label("Search").fill(text)
    page.get_by_label("State").select_option(state)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    return page.locator("table").first


def test_find_a_student_and_manage_a_vault_credential(
    server: Server, browser: Any, hub: Hub, tmp_path: Any
) -> None:
    org = get_org(hub, "springfield")
    vault.create_app(hub, org, "library", "Library e-books", "https://library.example/launch")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example", upload=False)
    first, _ = upload(hub, org, source="api")
    _wait_in_production(page, hub, first)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.wait_for_url(re.compile(r".*/orgs/springfield/users$"))
    assert re.search(r"\d+ accounts", page.content())

    table = _search(page, "Greenholt")
    assert "Martha Greenholt" in table.inner_text()
    assert "913113920" in table.inner_text()
    table = _search(page, "g_martha@example.org")
    rows = table.locator("tbody tr")
    assert rows.count() == 1
    row = rows.first
    assert "active" in row.inner_text()

    row.locator("summary", has_text="Set or replace").click()
    row.get_by_label("Username").fill("marthag")
    row.get_by_label("Password").fill(SECRET)
    row.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Credential set." in page.locator("[role=status]").inner_text()
    row = page.locator("table").first.locator("tbody tr").first
    assert re.search(r"Library e-books: set on \d{4}-\d{2}-\d{2}", row.inner_text())
    assert SECRET not in page.content()

    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    row.get_by_role("button", name="Clear").click()
    page.wait_for_load_state()
    assert "Credential cleared." in page.locator("[role=status]").inner_text()
    assert "set on" not in page.locator("table").first.locator("tbody tr").first.inner_text()

    # the next version leaves the student out: the account is suspended, not deleted
    kept = [
        line
        for line in (VALID / "students.csv").read_bytes().splitlines(keepends=True)
        if b"913113920" not in line
    ]
    students = tmp_path / "students.csv"
    students.write_bytes(b"".join(kept))
    second, status = upload(hub, org, source="api", students=students)
    if status == HELD:  # a quarter of the students gone: the safeguard asks first
        v.approve(hub, org, second)
    _wait_in_production(page, hub, second)
    page.goto(server.url + "/orgs/springfield/users")
    table = _search(page, "913113920", state="suspended")
    assert "suspended" in table.locator("tbody tr").first.inner_text()
    assert "Martha Greenholt" in table.inner_text()
