"""The forgotten-password pages over HTTP, with a real SMTP server on loopback: the link
arrives by e-mail and works once; the answer is the same page for an address without an
account (and no e-mail goes out); without SMTP the page sends the admin to an operator;
a reset ends the account's sessions; wrong codes are rate-limited; the link is built from
the configured address, never from the request's Host header."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.services import accounts
from rosterport.services import password_resets as resets
from rosterport.services.organizations import create_org
from rosterport.web.app import create_app
from tests.mail import Inbox, body, smtp_server
from tests.web.conftest import PASSWORD, sign_in

ADMIN = "admin@springfield.example"
NEW = "a brand new password"
PUBLIC = "https://roster.springfield.example"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as server:
        yield server


def _client(tmp_path: Path, **settings: object) -> Iterator[TestClient]:
    config = Settings(data_dir=tmp_path / "data", sftp_port=0, login_attempts=5, **settings)  # type: ignore[arg-type]  # test settings by keyword
    hub = build_hub(config)
    accounts.create_account(hub, ADMIN, PASSWORD, org=create_org(hub, "springfield"))
    with TestClient(create_app(hub, config), base_url="http://testserver") as client:
        yield client
    hub.engine.dispose()


@pytest.fixture
def mailing(tmp_path: Path, inbox: Inbox) -> Iterator[TestClient]:
    yield from _client(
        tmp_path, smtp_host=inbox.host, smtp_port=inbox.port, public_url=PUBLIC + "/"
    )


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path)


def _form_token(html: str) -> str:
    return html.split('name="form_token" value="')[1].split('"', maxsplit=1)[0]


def _ask(client: TestClient, email: str, **headers: str) -> str:
    page = client.get("/forgot-password")
    answer = client.post(
        "/forgot-password",
        data={"email": email, "form_token": _form_token(page.text)},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def _reset(client: TestClient, password: str = NEW, **fields: str) -> tuple[int, str]:
    page = client.get("/reset-password", params={"token": fields.get("token", "")})
    answer = client.post(
        "/reset-password",
        data={
            "password": password,
            "confirm": password,
            "form_token": _form_token(page.text),
            **fields,
        },
        follow_redirects=False,
    )
    return answer.status_code, answer.text


def _link(inbox: Inbox, count: int = 1) -> str:
    text = body(inbox.wait(count)[count - 1])
    found = re.search(r"(\S+/reset-password\?token=\S+)", text)
    assert found is not None, text
    return found.group(1)


def _answer(html: str) -> str:
    return html.split('id="reset-answer">')[1].split("</p>", maxsplit=1)[0]


def test_the_sign_in_page_offers_the_reset(offline: TestClient) -> None:
    assert 'href="/forgot-password">Forgot your password?' in offline.get("/login").text


def test_the_emailed_link_sets_a_new_password_once(mailing: TestClient, inbox: Inbox) -> None:
    session_csrf = sign_in(mailing, ADMIN)
    assert session_csrf
    page = _ask(mailing, ADMIN.upper())
    assert "a message with a link" in page
    message = inbox.wait()[0]
    assert message["To"] == ADMIN
    assert "reset your password" in message["Subject"]
    link = _link(inbox)
    assert link.startswith(PUBLIC + "/reset-password?token=")  # the configured address
    token = link.split("token=")[1]

    status, _ = _reset(mailing, token=token)
    assert status == 303
    assert mailing.get("/orgs/springfield", follow_redirects=False).status_code == 303  # out
    login = mailing.get("/login")
    assert "Your password is changed" in login.text
    sign_in(mailing, ADMIN, NEW)

    status, page_text = _reset(mailing, "yet another password", token=token)  # used again
    assert status == 400
    assert "used already" in page_text


def test_an_unknown_address_gets_the_same_page_and_no_mail(
    mailing: TestClient, inbox: Inbox
) -> None:
    known = _ask(mailing, ADMIN)
    inbox.wait(1)
    unknown = _ask(mailing, "nobody@springfield.example")
    assert _answer(known).replace(ADMIN, "X") == _answer(unknown).replace(
        "nobody@springfield.example", "X"
    )
    assert len(inbox.messages) == 1  # nothing was sent for the unknown address


def test_the_link_ignores_a_forged_host_header(mailing: TestClient, inbox: Inbox) -> None:
    _ask(mailing, ADMIN, host="evil.example")
    assert _link(inbox).startswith(PUBLIC + "/")
    assert "evil.example" not in body(inbox.messages[0])


def test_without_smtp_the_page_says_to_ask_an_operator(offline: TestClient) -> None:
    page = _ask(offline, ADMIN)
    assert "does not send e-mail" in page
    assert "rosterport admin reset-password --email admin@springfield.example" in page


def test_an_operator_code_resets_with_the_address(offline: TestClient) -> None:
    hub = offline.app.state.hub  # type: ignore[attr-defined]  # the app of the client
    issued = resets.issue_reset(hub, ADMIN)
    status, text = _reset(offline, email="other@springfield.example", code=issued.code)
    assert status == 400
    assert "does not work" in text
    assert 'value="other@springfield.example"' in text  # what was typed is kept
    status, _ = _reset(offline, email=ADMIN, code=resets.shown_code(issued.code))
    assert status == 303
    sign_in(offline, ADMIN, NEW)


def test_mismatched_or_short_passwords_are_said_next_to_the_form(offline: TestClient) -> None:
    issued = resets.issue_reset(offline.app.state.hub, ADMIN)  # type: ignore[attr-defined]  # as above
    page = offline.get("/reset-password", params={"token": issued.token})
    answer = offline.post(
        "/reset-password",
        data={
            "token": issued.token,
            "password": NEW,
            "confirm": NEW + "x",
            "form_token": _form_token(page.text),
        },
    )
    assert "The two passwords differ" in answer.text
    status, text = _reset(offline, "short", token=issued.token)
    assert status == 400
    assert "use at least 10" in text
    assert "Traceback" not in text
    assert _reset(offline, token=issued.token)[0] == 303  # still works after both


def test_guessing_codes_over_http_is_rate_limited(offline: TestClient) -> None:
    issued = resets.issue_reset(offline.app.state.hub, ADMIN)  # type: ignore[attr-defined]  # as above
    for attempt in range(5):
        status, _ = _reset(offline, email=ADMIN, code=f"WRONG{attempt:07d}")
        assert status == 400
    status, text = _reset(offline, email=ADMIN, code=issued.code)
    assert status == 429
    assert "wait 15 minutes" in text
    sign_in(offline, ADMIN, PASSWORD)  # the password is unchanged


def test_a_form_without_its_token_is_refused(offline: TestClient) -> None:
    answer = offline.post(
        "/reset-password", data={"email": ADMIN, "code": "X", "password": NEW, "confirm": NEW}
    )
    assert answer.status_code == 400
    assert "The form expired" in answer.text
