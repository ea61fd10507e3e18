"""The README's promise, in a real browser: run the main command (`rosterport serve --demo`),
sign in with the printed login, upload the demo district, see its one error, fix it, commit,
and see the version in production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import serve_demo
from tests.web.browser.conftest import artifacts


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, str]]:
    with serve_demo(tmp_path / "data") as found:
        yield found


def test_a_new_user_follows_the_readme(demo: dict[str, str], browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(demo["url"])
    page.get_by_label("E-mail address").fill(demo["email"])
    page.get_by_label("Password").fill(demo["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Organizations").wait_for()
    page.get_by_role("link", name="Demo District").first.click()
    page.get_by_role("heading", name=re.compile("CSV Upload")).wait_for()
    page.locator("#tool[data-ready]").wait_for(state="attached")

    folder = Path(demo["files"])
    page.set_input_files("#add-files", sorted(str(p) for p in folder.glob("*.csv")))
    page.get_by_role("button", name="Upload and validate").click()
    page.get_by_text("Validation failed:").wait_for(timeout=30000)
    students = page.locator('details.file-result[data-file="students.csv"]')
    assert "02/29/2005" in students.inner_text()
    shot = artifacts() / "demo-01-the-error.png"
    page.screenshot(path=str(shot), full_page=True)

    # fix the cell as the README says, reset, upload again
    fixed = folder / "students.csv"
    fixed.write_bytes(fixed.read_bytes().replace(b"02/29/2005", b"02/28/2005"))
    page.get_by_role("button", name="Reset").first.click()
    page.set_input_files("#add-files", sorted(str(p) for p in folder.glob("*.csv")))
    page.get_by_role("button", name="Upload and validate").click()
    page.get_by_role("button", name="Verify Changes").wait_for(timeout=30000)
    page.get_by_role("button", name="Verify Changes").click()
    page.get_by_role("button", name="Commit").click()
    page.locator("#commit-status").get_by_text("Successfully in production").wait_for(timeout=60000)
    page.get_by_role("link", name="See the Version History").click()
    rows = page.locator("#history tbody tr")
    rows.nth(1).wait_for()
    assert rows.count() == 2  # the failed attempt and the committed version
    assert "Successfully in production" in rows.nth(0).inner_text()
    assert "Validation Errors" in rows.nth(1).inner_text()
    page.screenshot(path=str(artifacts() / "demo-02-history.png"), full_page=True)
    page.close()
