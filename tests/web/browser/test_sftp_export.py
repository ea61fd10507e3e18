"""An administrator sets up Sync Mode: Export in the Application Gallery: the application's
SFTP server (a real asyncssh server on loopback), Test Connection, the host key trusted after
comparing its fingerprint, Deliver now; the delivery is listed with its files and checksums,
and the server holds a OneRoster 1.1 set (manifest.csv included) naming the district's
students. The password typed into the form is never shown back. At 390 px the page does not
scroll sideways."""

from __future__ import annotations

import re
from typing import Any

from rosterport.domain.version_status import IN_PRODUCTION
from rosterport.services.hub import Hub
from rosterport.services.organizations import get_org
from tests.services.test_sftp_export import PASSWORD, STUDENT, USER, Vendor
from tests.web.admin.test_home import upload
from tests.web.browser.conftest import Server
from tests.web.browser.test_dashboard import no_sideways_scroll
from tests.web.browser.test_retry import _status
from tests.web.browser.test_upload_tool import sign_in


def test_set_up_an_export_and_deliver_now(
    server: Server, browser: Any, hub: Hub, vendor: Vendor
) -> None:
    org = get_org(hub, "springfield")
    version, _ = upload(hub, org, source="api")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example", upload=False)
    for _ in range(200):
        if _status(hub, version) == IN_PRODUCTION:
            break
        page.wait_for_timeout(200)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Application Gallery"
    ).click()
    page.get_by_role("link", name="Sync Mode: Export").click()
    page.get_by_role("link", name="Add export").click()
    page.wait_for_url(re.compile(r".*/apps/sftp-export/new$"))
    page.get_by_label("Name", exact=True).fill("Learning app")
    page.get_by_label("Host", exact=True).fill("127.0.0.1")
    page.get_by_label("Port", exact=True).fill(str(vendor.port))
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Path", exact=True).fill("outbound")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/apps/sftp-export/\d+$"))
    assert "Test the connection" in page.locator("[role=status]").inner_text()
    assert "not confirmed yet" in page.content()

    page.get_by_role("button", name="Test Connection").click()
    page.wait_for_load_state()
    assert page.get_by_label("Test Connection").locator("li.ok").count() > 0
    assert "SHA256:" in page.content()
    page.get_by_role("button", name="Trust this host key").click()
    page.wait_for_load_state()
    assert "Host key pinned." in page.locator("[role=status]").inner_text()
    assert "pinned" in page.content()

    page.get_by_role("button", name="Deliver now").click()
    page.wait_for_load_state()
    assert "Delivery queued" in page.locator("[role=status]").inner_text()
    for _ in range(150):
        if "manifest.csv (" in page.content():
            break
        page.wait_for_timeout(200)
        page.reload()
    deliveries = page.locator("section", has_text="Deliveries").locator("tbody tr").first
    assert "manifest.csv (" in deliveries.inner_text()
    assert "SHA-256" in deliveries.inner_text()
    assert PASSWORD not in page.content()

    files = vendor.files()
    assert "manifest.csv" in files
    assert "users.csv" in files
    assert STUDENT in files["users.csv"]
    assert not [name for name in files if name.endswith(".part")]

    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(page)
