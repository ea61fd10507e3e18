"""The README's promise, in a real browser: run the main command (`rosterport serve --demo`),
sign in with the printed login, upload the demo district, see its one error, fix it, commit,
and see the version in production."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.browser.conftest import artifacts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rosterport",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--sftp-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "ROSTERPORT_DATA_DIR": str(tmp_path / "data")},
    )
    assert process.stdout is not None
    printed = ""
    for line in process.stdout:
        printed += line
        if "admin UI at" in line:
            break
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url + "/login")
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    found = {
        "url": url,
        "email": re.search(r"e-mail:\s+(\S+)", printed).group(1),  # type: ignore[union-attr]
        "password": re.search(r"password:\s+(\S+)", printed).group(1),  # type: ignore[union-attr]
        "files": re.search(r"demo district:\s+(\S+)", printed).group(1),  # type: ignore[union-attr]
    }
    yield found
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def test_a_new_user_follows_the_readme(demo: dict[str, str], browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(demo["url"])
    page.get_by_label("E-mail address").fill(demo["email"])
    page.get_by_label("Password").fill(demo["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Organizations").wait_for()
    page.get_by_role("link", name="Demo District").first.click()
    page.get_by_role("heading", name=re.compile("CSV Upload")).wait_for()

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
    assert rows.count() == 2  # the failed attempt and the committed version
    assert "Successfully in production" in rows.nth(0).inner_text()
    assert "Validation Errors" in rows.nth(1).inner_text()
    page.screenshot(path=str(artifacts() / "demo-02-history.png"), full_page=True)
    page.close()
