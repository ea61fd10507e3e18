"""Verify Changes of an upload with 20% fewer students, in Chromium: the safeguard's reason
in people's words (no command-line flag), the knock-on removals counted, and each removed
student's sentence only when asked for (a closed <details>)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rosterport.services import upload_commit, upload_validation, uploads
from rosterport.services.hub import Hub
from rosterport.services.organizations import get_org
from tests.web.admin.test_notes import STUDENTS, big_district
from tests.web.browser.conftest import Server
from tests.web.browser.test_upload_tool import shot, sign_in


def test_verify_changes_counts_first_and_details_on_demand(
    server: Server,
    browser: Any,
    hub: Hub,
    tmp_path: Path,
) -> None:
    org = get_org(hub, "springfield")
    session = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, session.id, big_district(STUDENTS))
    upload_validation.run_validation(hub, org, session.id, committed_by="t", source="api")
    upload_commit.commit(hub, org, session.id, committed_by="t", source="api")
    for file in big_district(STUDENTS - 201):
        tmp_path.joinpath(file.name).write_bytes(file.data)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "admin@springfield.example")
    page.locator("#tool[data-ready]").wait_for(state="attached")
    page.set_input_files("#add-files", sorted(str(p) for p in tmp_path.glob("*.csv")))
    page.get_by_role("button", name="Upload and validate").click()
    page.get_by_role("button", name="Verify Changes").click()
    page.get_by_role("heading", name="Verify Changes").wait_for()
    guard = page.locator("#safeguards")
    guard.get_by_text("students.csv: this upload removes 201 of 1,005 students").wait_for()
    assert "--allow-deletions" not in page.content()
    note = page.locator('#change-notes li[data-cascade="students.csv"]')
    assert note.inner_text().startswith("201 students removed, with their 402 enrollments.")
    sentences = note.locator("details li")
    assert sentences.count() == 201
    assert not sentences.first.is_visible()  # closed until asked for
    note.locator("summary").click()
    assert sentences.first.is_visible()
    assert "also removes its 2 enrollments" in sentences.first.inner_text()
    shot(page, "notes-verify-changes")
    page.close()
