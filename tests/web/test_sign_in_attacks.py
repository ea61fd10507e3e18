"""Attacks on the sign-in (issue 10): guessing passwords in parallel against a real server,
dodging the per-address limit with X-Forwarded-For, and telling known e-mail addresses from
unknown ones by the time of the answer."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.services import accounts
from rosterport.services.organizations import create_org
from rosterport.store.tables import login_failures
from rosterport.web.app import create_app
from tests.web.conftest import PASSWORD, login_form, prepare_data, served

LIMIT = 5
ATTACKERS = 40
VICTIM = "admin@springfield.example"


def _sign_in(client: httpx.Client, csrf: str, email: str, password: str) -> httpx.Response:
    return client.post(
        "/login",
        data={"email": email, "password": password, "login_csrf": csrf},
        follow_redirects=False,
    )


def test_forty_wrong_passwords_at_once_get_at_most_the_limit_checked(
    tmp_path: Path, db_url: str
) -> None:
    """On SQLite and on PostgreSQL: the check of the limit and the record of the attempt are
    one step, so parallel attempts cannot all pass the check before any is recorded."""
    data = tmp_path / "data"
    prepare_data(data, db_url)
    with served(data, db_url, ROSTERPORT_LOGIN_ATTEMPTS=str(LIMIT)) as server:
        forms = [login_form(server.url) for _ in range(ATTACKERS)]
        start = threading.Barrier(ATTACKERS)

        def guess(number: int) -> int:
            client, csrf = forms[number]
            start.wait()
            return _sign_in(client, csrf, VICTIM, f"guess number {number}").status_code

        with ThreadPoolExecutor(ATTACKERS) as pool:
            answers = list(pool.map(guess, range(ATTACKERS)))
        assert sorted(set(answers)) == [401, 429], answers
        assert answers.count(401) == LIMIT  # checked against the password: the limit, no more
        # the attempts recorded are the ones checked
        engine = sa.create_engine(db_url)
        with engine.connect() as conn:
            recorded = conn.execute(
                sa.select(sa.func.count()).where(login_failures.c.email == VICTIM)
            ).scalar_one()
        engine.dispose()
        assert recorded == LIMIT
        # now even the right password is refused, with a message that says why
        client, csrf = login_form(server.url)
        right = _sign_in(client, csrf, VICTIM, PASSWORD)
        assert right.status_code == 429
        assert "Too many failed sign-ins" in right.text
        assert "rosterport_session" not in client.cookies
        for opened, _ in [*forms, (client, csrf)]:
            opened.close()


def test_x_forwarded_for_from_a_client_changes_nothing(tmp_path: Path) -> None:
    """Without trusted proxies the header is ignored: made-up addresses and other e-mail
    addresses do not get an attacker past the limit of its own address."""
    data = tmp_path / "data"
    prepare_data(data)
    with served(data, ROSTERPORT_LOGIN_ATTEMPTS="3") as server:
        answers = []
        for number in range(5):
            client, csrf = login_form(server.url, **{"X-Forwarded-For": f"203.0.113.{number}"})
            answers.append(
                _sign_in(client, csrf, f"guess{number}@springfield.example", "wrong").status_code
            )
            client.close()
        assert answers == [401, 401, 401, 429, 429]


def test_x_forwarded_for_from_a_trusted_proxy_is_the_client_address(tmp_path: Path) -> None:
    """Behind a proxy in ROSTERPORT_TRUSTED_PROXIES, each client is limited on its own: the
    address is the rightmost one of X-Forwarded-For that is not a trusted proxy."""
    data = tmp_path / "data"
    prepare_data(data)
    trusted = {
        "ROSTERPORT_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
        "ROSTERPORT_LOGIN_ATTEMPTS": "3",
    }
    with served(data, **trusted) as server:

        def attempt(forwarded: str, number: int) -> int:
            client, csrf = login_form(server.url, **{"X-Forwarded-For": forwarded})
            try:
                email = f"guess{number}@springfield.example"
                return _sign_in(client, csrf, email, "wrong").status_code
            finally:
                client.close()

        # five clients behind the proxy, one attempt each: nobody is limited
        assert [attempt(f"198.51.100.{n}", n) for n in range(5)] == [401] * 5
        # one client: limited after 3, whatever it puts before the address the proxy saw,
        # and whichever of our proxies it came through
        chain = [
            "198.51.100.77",
            "6.6.6.6, 198.51.100.77",
            "198.51.100.77, 10.1.2.3",
            "7.7.7.7, 198.51.100.77",
        ]
        assert [attempt(f, 10 + n) for n, f in enumerate(chain)] == [401, 401, 401, 429]
        assert attempt("198.51.100.78", 20) == 401  # its neighbour is not


def _timed_sign_ins(client: TestClient, email: str, times: int) -> list[float]:
    page = client.get("/login")
    durations = []
    for _ in range(times):
        csrf = page.text.split('name="login_csrf" value="')[1].split('"')[0]
        began = time.perf_counter()
        page = client.post(
            "/login", data={"email": email, "password": "not it at all", "login_csrf": csrf}
        )
        durations.append(time.perf_counter() - began)
        assert page.status_code == 401
    return durations


def test_an_unknown_email_address_takes_as_long_as_a_known_one(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", sftp_port=0, login_attempts=1000)
    hub = build_hub(settings)
    org = create_org(hub, "springfield", "Springfield USD")
    accounts.create_account(hub, VICTIM, PASSWORD, org=org)
    with TestClient(create_app(hub, settings, worker=False)) as client:
        _timed_sign_ins(client, VICTIM, 2)  # warm up (the unknown-account hash is made once)
        _timed_sign_ins(client, "nobody@springfield.example", 2)
        known: list[float] = []
        unknown: list[float] = []
        for _ in range(7):  # interleaved, so that a busy moment of the machine hits both
            known += _timed_sign_ins(client, VICTIM, 1)
            unknown += _timed_sign_ins(client, "nobody@springfield.example", 1)
    hub.engine.dispose()
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 0.5 <= ratio <= 2.0, (known, unknown)
