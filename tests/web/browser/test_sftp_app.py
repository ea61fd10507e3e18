"""The SFTP app in Chromium: Activate, Delivery Config with Test Connection, the setup
steps, Finish Configuration."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conftest import free_port
from tests.web.browser.conftest import Server
from tests.web.browser.test_upload_tool import shot, sign_in


def test_activate_and_configure_the_sftp_app(server: Server, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example")
    page.get_by_role("link", name="Application Gallery").click()
    page.get_by_role("link", name="Activate").click()
    page.get_by_role("heading", name=re.compile("SFTP")).wait_for()

    # a custom server that refuses connections: Test Connection says so in plain words
    page.get_by_label("Custom — your district's own SFTP server").check()
    page.get_by_label("Host", exact=True).fill("127.0.0.1")
    page.get_by_label("Port", exact=True).fill(str(free_port()))
    page.get_by_label("Username").fill("rosterport")
    page.get_by_label("Password", exact=True).fill("their-password")
    page.get_by_role("button", name="Test Connection").click()
    failed = page.locator("#test-result li.bad")
    failed.wait_for()
    assert "refused" in failed.inner_text()
    shot(page, "09-sftp-test-connection")

    # the hosted server instead; a public key can be picked from a file
    page.get_by_label("rosterport's SFTP server (recommended)").check()
    assert page.get_by_role("button", name="Test Connection").is_hidden()
    page.get_by_label("Key-based").check()
    key = tmp_path / "sis.pub"
    key.write_text(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKNRR5uC6ncJtiOSpdvHS5gF7SbldGFmudYRYzbXoc9P sis\n"
    )
    page.set_input_files("#public_key_file", str(key))
    page.wait_for_function("document.getElementById('public_key').value.startsWith('ssh-ed25519')")
    page.get_by_label("Password-based").check()
    page.get_by_label("Username").fill("springfield-sis")
    page.get_by_label("Password", exact=True).fill("nightly-export-1")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("Delivery Config saved.").wait_for()
    page.locator(".steps li.current", has_text="Schools Mapping").wait_for()
    page.get_by_role("button", name=re.compile("Skip: no mapping")).click()
    page.get_by_role("heading", name=re.compile("SFTP")).wait_for()
    page.locator(".steps li.current", has_text="Attributes Mapping").wait_for()
    page.get_by_role("button", name="Save and continue").click()
    page.locator(".steps li.current", has_text="Data Requirements").wait_for()
    page.locator("summary", has_text="students.csv").click()
    page.get_by_label("Student_email").select_option("skip")
    page.get_by_role("button", name="Save and continue").click()
    page.locator(".steps li.current", has_text="Finish Configuration").wait_for()
    shot(page, "10-sftp-finish")
    page.get_by_role("button", name="Finish Configuration").click()
    row = page.locator("#integrations tr", has_text="springfield-sis")
    row.wait_for()
    assert "Active" in row.inner_text()
    page.close()
