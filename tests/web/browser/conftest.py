"""A real server (uvicorn on a free port, embedded worker) and Debian's Chromium driven by
Playwright. Screenshots of each step go to `test-artifacts/screenshots/` (or
$ROSTERPORT_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.services import accounts
from rosterport.services.hub import Hub
from rosterport.services.organizations import create_org
from rosterport.web.app import create_app
from tests.conftest import free_port
from tests.web.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def artifacts() -> Path:
    folder = Path(os.environ.get("ROSTERPORT_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Server:
    url: str
    data_dir: Path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = Settings(data_dir=tmp_path / "data", sftp_port=0)
    hub = build_hub(settings)
    home = create_org(hub, "springfield", "Springfield USD")
    other = create_org(hub, "shelbyville", "Shelbyville USD")
    accounts.create_account(hub, "admin@springfield.example", PASSWORD, org=home)
    accounts.create_account(hub, "admin@shelbyville.example", PASSWORD, org=other)
    port = free_port()
    config = uvicorn.Config(
        create_app(hub, settings), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline:
            pytest.fail("the web server did not start within 20 s")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", settings.data_dir)
    running.should_exit = True
    thread.join(timeout=30)
    hub.engine.dispose()


@pytest.fixture
def hub(server: Server) -> Iterator[Hub]:
    """A hub on the server's data (to prepare uploads as the API or SFTP would)."""
    seeded = build_hub(Settings(data_dir=server.data_dir, sftp_port=0))
    yield seeded
    seeded.engine.dispose()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        reason = "Chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("ROSTERPORT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()
