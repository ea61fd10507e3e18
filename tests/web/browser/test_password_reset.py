"""An administrator who forgot the password: "Forgot your password?" on the sign-in page →
the e-mail address → the link from the message a real SMTP server on loopback received →
a new password → signed in with it; the browser signed in before is signed out, and the
link does not work a second time. At 390 px too. The screenshot of the reset page in
docs/images/ comes from this test."""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.services import accounts
from rosterport.services.organizations import create_org
from rosterport.web.app import create_app
from tests.conftest import free_port
from tests.mail import Inbox, body, smtp_server
from tests.web.browser.conftest import Server
from tests.web.browser.test_dashboard import no_sideways_scroll, picture
from tests.web.browser.test_upload_tool import sign_in
from tests.web.conftest import PASSWORD

ADMIN = "admin@springfield.example"
NEW = "my new long password"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailing_server(tmp_path: Path, inbox: Inbox) -> Iterator[Server]:
    """The browser tests' server, with e-mail through `inbox` and its own address known."""
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        sftp_port=0,
        port=port,
        smtp_host=inbox.host,
        smtp_port=inbox.port,
    )
    hub = build_hub(settings)
    accounts.create_account(hub, ADMIN, PASSWORD, org=create_org(hub, "springfield"))
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


def test_a_forgotten_password_is_reset_by_the_emailed_link(
    mailing_server: Server, browser: Any, inbox: Inbox
) -> None:
    other = browser.new_context().new_page()  # a browser signed in before the reset
    sign_in(other, mailing_server, ADMIN, upload=False)

    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(mailing_server.url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address").fill(ADMIN)
    page.get_by_role("button", name="Send me a reset link").click()
    assert "a message with a link" in page.locator("#reset-answer").inner_text()

    text = body(inbox.wait()[0])
    link = re.search(r"(http://\S+/reset-password\?token=\S+)", text)
    assert link is not None, text
    page.goto(link.group(1))
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    assert no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 720})
    picture(page, "13-reset-password")
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url(re.compile(r".*/login$"))
    assert "Your password is changed" in page.locator("[role=status]").inner_text()

    page.get_by_label("E-mail address").fill(ADMIN)
    page.get_by_label("Password").fill(NEW)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/orgs/springfield$"))

    other.reload()  # the other browser's session ended with the reset
    assert "/login" in other.url

    page.goto(link.group(1))  # the link works once
    page.get_by_label("New password", exact=True).fill("yet another password")
    page.get_by_label("New password again").fill("yet another password")
    page.get_by_role("button", name="Set the new password").click()
    assert "used already" in page.locator("[role=alert]").inner_text()


@pytest.fixture
def slow_inbox() -> Iterator[Inbox]:
    with smtp_server(delay=0.5) as server:
        yield server


def test_the_answer_takes_as_long_for_an_unknown_address_though_mail_is_slow(
    tmp_path: Path, slow_inbox: Inbox
) -> None:
    """A real server and an SMTP relay that takes 0.5 s per message: the e-mail goes out
    after the answer, so a known address is not told apart by the time of the answer."""
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        sftp_port=0,
        port=port,
        smtp_host=slow_inbox.host,
        smtp_port=slow_inbox.port,
        login_attempts=1000,
    )
    hub = build_hub(settings)
    accounts.create_account(hub, ADMIN, PASSWORD, org=create_org(hub, "springfield"))
    running = uvicorn.Server(
        uvicorn.Config(create_app(hub, settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def ask(email: str) -> float:
        page = client.get("/forgot-password")
        token = page.text.split('name="form_token" value="')[1].split('"')[0]
        began = time.perf_counter()
        answer = client.post("/forgot-password", data={"email": email, "form_token": token})
        took = time.perf_counter() - began
        assert answer.status_code == 200
        return took

    known: list[float] = []
    unknown: list[float] = []
    try:
        for _ in range(5):  # interleaved, so that a busy moment of the machine hits both
            known.append(ask(ADMIN))
            unknown.append(ask("nobody@springfield.example"))
        slow_inbox.wait(5, seconds=30)  # every known request was e-mailed, after its answer
    finally:
        client.close()
        running.should_exit = True
        thread.join(timeout=30)
        hub.engine.dispose()
    assert statistics.median(known) < slow_inbox.delay, known  # no wait for the relay
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 0.33 <= ratio <= 3.0, (known, unknown)
