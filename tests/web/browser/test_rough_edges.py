"""Rough edges in Chromium: a Delivery Config with "nightly" in a minutes field keeps what
was typed and says what is wrong next to the field; an upload that changes nothing cannot
be committed; the upload page (1280 px) and the history (390 px) need no sideways scroll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rosterport.services.hub import Hub
from rosterport.services.organizations import get_org
from tests.web.admin.test_home import BAD_DOB, VALID, upload
from tests.web.browser.conftest import Server
from tests.web.browser.test_dashboard import no_sideways_scroll
from tests.web.browser.test_upload_tool import shot, sign_in


def test_delivery_config_keeps_the_form_and_points_at_the_field(
    server: Server, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example", upload=False)
    page.goto(server.url + "/orgs/springfield/apps/sftp/new")
    page.get_by_label("Custom — your district's own SFTP server").check()
    page.get_by_label("Host", exact=True).fill("sftp.district.example")
    page.get_by_label("Username").fill("district-sis")
    page.get_by_label("Password", exact=True).fill("their-password")
    page.locator("summary", has_text="Advanced settings").click()
    page.get_by_label("Look for new files every (minutes)").fill("nightly")
    page.get_by_role("button", name="Save and continue").click()
    error = page.locator("#interval_minutes-error")
    error.wait_for()
    assert "must be a whole number" in error.inner_text()
    assert page.get_by_label("Look for new files every (minutes)").input_value() == "nightly"
    assert page.get_by_label("Host", exact=True).input_value() == "sftp.district.example"
    assert page.get_by_label("Host", exact=True).is_visible()  # still the custom server
    assert page.get_by_label("Username").input_value() == "district-sis"
    assert "Traceback" not in page.content()
    shot(page, "rough-edges-delivery-config")
    page.close()


def test_an_unchanged_upload_cannot_be_committed(server: Server, browser: Any, hub: Hub) -> None:
    upload(hub, get_org(hub, "springfield"), source="api")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example")
    page.locator("#tool[data-ready]").wait_for(state="attached")
    assert no_sideways_scroll(page)
    page.set_input_files("#add-files", sorted(str(p) for p in VALID.glob("*.csv")))
    page.get_by_role("button", name="Upload and validate").click()
    page.get_by_role("button", name="Verify Changes").click()
    page.locator("#nothing-to-commit").wait_for()
    assert "changes nothing" in page.locator("#nothing-to-commit").inner_text()
    assert page.get_by_role("button", name="Commit").is_disabled()
    shot(page, "rough-edges-nothing-to-commit")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/orgs/springfield/history")
    page.locator("#history").wait_for()
    assert no_sideways_scroll(page)
    page.close()


def test_a_slot_refuses_a_file_of_another_name(server: Server, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example")
    page.locator("#tool[data-ready]").wait_for(state="attached")
    slot = page.locator('table.files:not([hidden]) input[data-for="students.csv"]')
    slot.set_input_files(str(VALID / "teachers.csv"))
    alert = page.locator("#tool > .alert")
    alert.wait_for()
    assert "teachers.csv is not students.csv" in alert.inner_text()
    row = page.locator('table.files:not([hidden]) tr[data-file="students.csv"]')
    assert "teachers.csv" not in row.inner_text()  # nothing was taken
    slot.set_input_files(str(VALID / "students.csv"))
    row.get_by_text("students.csv (").wait_for()
    page.close()


def test_after_a_failed_validation_only_the_fixed_file_is_sent_again(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in VALID.glob("*.csv"):
        data = BAD_DOB.read_bytes() if path.name == "students.csv" else path.read_bytes()
        broken.joinpath(path.name).write_bytes(data)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example")
    page.locator("#tool[data-ready]").wait_for(state="attached")
    page.set_input_files("#add-files", sorted(str(p) for p in broken.glob("*.csv")))
    page.get_by_role("button", name="Upload and validate").click()
    page.get_by_text("Validation failed:").wait_for()
    again = page.get_by_role("button", name="Upload and validate again")
    assert again.is_disabled()
    page.get_by_label("Replace the files you fixed").set_input_files(str(VALID / "students.csv"))
    again.click()
    page.get_by_text("Validated and Uploaded.").wait_for()
    assert page.get_by_role("button", name="Verify Changes").is_visible()
    assert page.locator("#replace").is_hidden()
    page.close()


def test_the_upload_tool_survives_reload_and_back(server: Server, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example")
    page.locator("#tool[data-ready]").wait_for(state="attached")
    page.set_input_files("#add-files", sorted(str(p) for p in VALID.glob("*.csv")))
    page.get_by_role("button", name="Upload and validate").click()
    page.get_by_text("Validated and Uploaded.").wait_for()
    assert "session=" in page.url

    page.reload()  # the validated upload comes back
    page.get_by_text("Validated and Uploaded.").wait_for()
    page.get_by_role("button", name="Verify Changes").click()
    page.get_by_role("heading", name="Verify Changes").wait_for()
    page.reload()  # the verified changes come back
    page.locator('#counts tr[data-file="students.csv"]').wait_for()
    page.get_by_role("button", name="Commit").click()
    page.locator("#commit-status").get_by_text("Version").wait_for()

    page.get_by_role("link", name="See the Version History").click()
    page.locator("#history").wait_for()
    page.go_back()  # back to the committed upload, not an empty tool
    page.locator("#commit-status").get_by_text("Version").wait_for()
    assert page.locator("#committed").is_visible()
    page.get_by_role("button", name="Start a new upload").click()
    assert "session=" not in page.url
    page.close()
