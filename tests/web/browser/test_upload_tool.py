"""A district administrator walks the whole CSV upload tool in Chromium: sign in, choose
files, see a failed file's breakdown, reset, upload good files, verify changes, commit, see
the version in production and in the history, download its ZIP. And cannot see another
district."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from tests.conftest import DATA
from tests.web.browser.conftest import Server, artifacts
from tests.web.conftest import PASSWORD

VALID = DATA / "passport" / "valid-district"
BAD_DOB = DATA / "passport" / "student-bad-dob" / "students.csv"


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(artifacts() / f"{name}.png"), full_page=True)


def sign_in(page: Any, server: Server, email: str, *, upload: bool = True) -> None:
    """Sign in (landing on the organization's home), then open the CSV upload tool."""
    page.goto(server.url + "/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "01-sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/orgs/[a-z0-9-]+$"))
    if upload:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="CSV Upload").click()
        page.wait_for_url(re.compile(r".*/upload$"))


def test_the_upload_tool_end_to_end(server: Server, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    sign_in(page, server, "admin@springfield.example")
    page.get_by_role("heading", name=re.compile("CSV Upload")).wait_for()
    page.locator("#tool[data-ready]").wait_for(state="attached")
    upload = page.get_by_role("button", name="Upload and validate")
    assert upload.is_disabled()

    # a district whose students.csv has an invalid date of birth
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in VALID.glob("*.csv"):
        data = BAD_DOB.read_bytes() if path.name == "students.csv" else path.read_bytes()
        broken.joinpath(path.name).write_bytes(data)
    page.set_input_files("#add-files", sorted(str(p) for p in broken.glob("*.csv")))
    page.wait_for_function("!document.getElementById('upload').disabled")
    shot(page, "02-files-chosen")
    upload.click()
    page.get_by_text("Validation failed:").wait_for()
    students = page.locator('details.file-result[data-file="students.csv"]')
    assert "Validation failed" in students.locator("summary").inner_text()
    if students.get_attribute("open") is None:
        students.locator("summary").click()
    breakdown = students.locator("table.breakdown")
    breakdown.wait_for()
    assert "Birth" in breakdown.inner_text() or "DOB" in breakdown.inner_text()
    assert page.get_by_role("button", name="Verify Changes").is_hidden()
    shot(page, "03-validation-failed")

    # reset, then the good files
    page.get_by_role("button", name="Reset").first.click()
    page.get_by_role("button", name="Upload and validate").wait_for()
    assert page.locator("#validated").is_hidden()
    page.set_input_files("#add-files", sorted(str(p) for p in VALID.glob("*.csv")))
    page.get_by_role("button", name="Upload and validate").click()
    page.get_by_text("Validated and Uploaded.").wait_for()
    shot(page, "04-validated")

    page.get_by_role("button", name="Verify Changes").click()
    page.get_by_role("heading", name="Verify Changes").wait_for()
    rows = len(VALID.joinpath("students.csv").read_text().strip().splitlines()) - 1
    counts = page.locator('#counts tr[data-file="students.csv"] td')
    assert counts.nth(0).inner_text() == str(rows)
    detail = page.locator('#details details[data-file="students.csv"]')
    detail.locator("summary").click()
    detail.locator("tbody tr").first.wait_for()
    assert detail.locator("tbody tr").count() == min(rows, 50)
    # each record says whose it is, and a name finds it whatever the case (issue 12 item 9)
    assert "Diane Schmeler" in detail.locator("tbody").inner_text()
    detail.get_by_role("searchbox").fill("schmeler")
    detail.get_by_text("1–1 of 1").wait_for()
    assert "02M800 / 738733110" in detail.locator("tbody tr").first.inner_text()
    detail.get_by_role("searchbox").fill("")
    detail.locator("tbody tr").nth(1).wait_for()
    shot(page, "05-verify-changes")

    page.get_by_role("button", name="Commit").click()
    page.locator("#commit-status").get_by_text("Successfully in production").wait_for(timeout=30000)
    version = re.search(r"Version (\d+)", page.locator("#commit-status").inner_text())
    assert version is not None
    shot(page, "06-committed")

    page.get_by_role("link", name="See the Version History").click()
    row = page.locator(f'#history tr[data-version="{version.group(1)}"]')
    row.wait_for()
    assert "Successfully in production" in row.inner_text()
    assert "admin@springfield.example" in row.inner_text()
    shot(page, "07-version-history")
    with page.expect_download() as download:
        row.get_by_role("link", name="Original files (ZIP)").click()
    saved = tmp_path / "originals.zip"
    download.value.save_as(saved)
    names = zipfile.ZipFile(io.BytesIO(saved.read_bytes())).namelist()
    assert sorted(names) == sorted(p.name for p in VALID.glob("*.csv"))
    page.close()


def test_another_district_is_not_found(server: Server, browser: Any) -> None:
    page = browser.new_page()
    sign_in(page, server, "admin@springfield.example")
    for address in ("/orgs/shelbyville/upload", "/orgs/shelbyville/history"):
        answer = page.goto(server.url + address)
        assert answer is not None
        assert answer.status == 404
        assert page.get_by_role("heading", name="Not found").is_visible()
    api = page.request.get(server.url + "/api/v1/orgs/shelbyville/versions")
    assert api.status == 404
    shot(page, "08-other-district-not-found")
    page.close()


def test_the_tool_works_from_the_keyboard(server: Server, browser: Any) -> None:
    page = browser.new_page()
    sign_in(page, server, "admin@springfield.example")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    labels = page.locator("label[for]")
    for index in range(labels.count()):
        target = labels.nth(index).get_attribute("for")
        assert page.locator(f"#{target}").count() == 1, target
    page.close()
