"""Requests that used to answer 500 (issue 10) answer a clear 4xx in the one error shape:
numbers too large for the database on every route, several commits of one upload at once,
and a commit retried after a refusal or a crash. A real bug still answers 500 in that shape,
with no exception text."""

from __future__ import annotations

import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from rosterport.bootstrap import CRASH_AT
from rosterport.services import history
from tests.conftest import DATA
from tests.web.conftest import Site, endpoints_of, prepare_data, served, sign_in

VALID = DATA / "passport" / "valid-district"
HUGE = "99999999999999999999"  # more than 64 bits: SQLite raised OverflowError on it
NUMBERS = [HUGE, str(2**31), "0", "-1"]
FIXED = {"slug": "springfield", "step": "schools", "action": "restore"}


def _body(number: int) -> dict[str, Any]:
    """A body for every JSON endpoint, its integers set to `number`."""
    return {
        "model": "passport-roster",
        "email": "a@b.example",
        "slug": "x-y-z",
        "name": "n",
        "server": "custom",
        "username": "someone",
        "host": "127.0.0.1",
        "port": number,
        "advanced": {"interval_minutes": number},
        "fingerprint": "SHA256:x",
        "mapping": {},
        "columns": {},
        "requirements": {},
        "ids": [number],
    }


def _request(site: Site, endpoint: tuple[str, str, Any], number: str, csrf: str) -> Any:
    method, path, route = endpoint
    url = re.sub(r"\{(\w+)\}", lambda m: FIXED.get(m.group(1), number), path)
    query = {q.name: number for q in route.dependant.query_params if q.field_info.annotation is int}
    api = path.startswith("/api/")
    multipart = method == "POST" and path.endswith(("/files", "/source"))
    return site.client.request(
        method,
        url,
        params=query or None,
        headers={"X-CSRF-Token": csrf},
        json=_body(int(number)) if api and method in {"POST", "PUT"} and not multipart else None,
        data=None
        if api
        else {"csrf_token": csrf, "ids": number, "port": number, "interval_minutes": number},
        files={"files": ("students.csv", b"x"), "file": ("orgs.csv", b"x")} if multipart else None,
        follow_redirects=False,
    )


def test_out_of_range_numbers_on_every_route_answer_a_clear_4xx(site: Site) -> None:
    csrf = sign_in(site.client, "root@platform.example")  # reaches every organization
    endpoints = list(endpoints_of(site.client.app.routes))  # type: ignore[attr-defined]
    with_numbers = [
        (m, p)
        for m, p, r in endpoints
        if any(f.field_info.annotation is int for f in r.dependant.path_params)
        or any(f.field_info.annotation is int for f in r.dependant.query_params)
    ]
    assert len(with_numbers) >= 25  # every route that takes an id, a page or an offset
    failed = []
    for method, path, route in endpoints:
        if path in {"/logout", "/login"}:
            continue  # would end the session (or start another one)
        for number in NUMBERS:
            answer = _request(site, (method, path, route), number, csrf)
            text = answer.text
            if answer.status_code >= 500 or "Traceback" in text or "Overflow" in text:
                failed.append((method, path, number, answer.status_code, text[:300]))
            elif path.startswith("/api/") and answer.status_code >= 400:
                error = answer.json()["error"]
                assert error["status"] == answer.status_code
                assert error["code"]
                assert error["message"]
    assert failed == []


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/orgs/springfield/versions/{HUGE}",
        f"/api/v1/orgs/springfield/compare?first=1&second={HUGE}",
        f"/api/v1/orgs/springfield/versions?offset={HUGE}",
        f"/api/v1/orgs/springfield/integrations/{HUGE}",
    ],
)
def test_an_id_too_large_is_an_invalid_request_that_says_so(site: Site, path: str) -> None:
    answer = site.client.get(path, headers=site.token())
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert "less than or equal to 2147483647" in error["message"]


def test_a_page_with_an_id_too_large_says_so_in_words(site: Site) -> None:
    sign_in(site.client, "admin@springfield.example")
    answer = site.client.get(f"/orgs/springfield/apps/sftp/{HUGE}")
    assert answer.status_code == 422
    assert "less than or equal to 2147483647" in answer.text
    assert "Overflow" not in answer.text


def test_an_unexpected_error_is_a_500_without_its_text(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("password=hunter2 at /srv/rosterport/secret.key")

    monkeypatch.setattr(history, "history", broken)
    client = TestClient(site.client.app, raise_server_exceptions=False)  # type: ignore[arg-type]
    api = client.get("/api/v1/orgs/springfield/versions", headers=site.token())
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "internal_error"
    assert "rosterport failed unexpectedly" in api.json()["error"]["message"]
    sign_in(client, "admin@springfield.example")
    page = client.get("/orgs/springfield/history")
    assert page.status_code == 500
    assert "rosterport failed unexpectedly" in page.text
    for answer in (api, page):
        assert "hunter2" not in answer.text
        assert "RuntimeError" not in answer.text
        assert "Traceback" not in answer.text
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_value_error_of_a_library_is_a_bug_not_a_message(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    def library(*_: Any, **__: Any) -> Any:
        raise ValueError("could not convert b'\\x00\\x13' at offset 8812 of /srv/x.parquet")

    monkeypatch.setattr(history, "history", library)
    client = TestClient(site.client.app, raise_server_exceptions=False)  # type: ignore[arg-type]
    answer = client.get("/api/v1/orgs/springfield/versions", headers=site.token())
    assert answer.status_code == 500
    assert "parquet" not in answer.text
    # rosterport's own parsers still explain themselves
    session = client.post(
        "/api/v1/orgs/springfield/uploads", json={"model": "passport-roster"}, headers=site.token()
    ).json()["id"]
    levels = client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/validate",
        json={"levels": {"invalid-format": "loud"}},
        headers=site.token(),
    )
    assert levels.status_code == 400
    assert "unknown level 'loud'" in levels.json()["error"]["message"]


# -- commits of one upload -------------------------------------------------------------------


def _upload(client: httpx.Client | TestClient, *, verify: bool = True) -> str:
    """An upload of the valid district through the API, validated (and its changes
    verified); returns the session's id."""
    base = "/api/v1/orgs/springfield/uploads"
    session = client.post(base, json={"model": "passport-roster"}).json()["id"]
    for path in sorted(VALID.glob("*.csv")):
        put = client.put(f"{base}/{session}/files/{path.name}", content=path.read_bytes())
        assert put.status_code == 200, put.text
    assert client.post(f"{base}/{session}/validate").json()["state"] == "validated"
    if verify:
        assert client.post(f"{base}/{session}/changes").status_code == 200
    return str(session)


def _commit(client: httpx.Client | TestClient, session: str) -> httpx.Response:
    return client.post(f"/api/v1/orgs/springfield/uploads/{session}/commit")


def _refusal(answer: httpx.Response) -> str:
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["status"] == 409
    assert error["code"] == "wrong_state"
    assert "Traceback" not in answer.text
    return str(error["message"])


def test_a_retry_after_a_refused_commit_is_a_clear_409(site: Site) -> None:
    site.client.headers.update(site.token())
    first = _upload(site.client)
    second = _upload(site.client)  # checked against the same production as the first
    assert _commit(site.client, first).status_code == 200
    refused = _commit(site.client, second)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "production_changed"
    retry = _commit(site.client, second)  # was a 500 (FileNotFoundError …/staged)
    assert retry.status_code == 409
    assert retry.json()["error"]["code"] == "production_changed"
    assert "validate again" in retry.json()["error"]["message"]
    # which is what works
    validated = site.client.post(f"/api/v1/orgs/springfield/uploads/{second}/validate")
    assert validated.status_code == 200
    assert _commit(site.client, second).status_code == 200


def test_three_commits_of_one_upload_at_once_one_wins(tmp_path: Path) -> None:
    """A real server, three clients committing the same upload at the same moment (a double
    click, a retry, a script): one version, two clear refusals — after Verify Changes and
    straight after validation alike."""
    data = tmp_path / "data"
    headers = prepare_data(data)
    with served(data) as server:
        for verify in (True, False):
            with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
                session = _upload(client, verify=verify)
            clients = [
                httpx.Client(base_url=server.url, headers=headers, timeout=120) for _ in range(3)
            ]
            start = threading.Barrier(3)

            def commit(
                client: httpx.Client, session: str = session, start: Any = start
            ) -> httpx.Response:
                start.wait()
                return _commit(client, session)

            with ThreadPoolExecutor(3) as pool:
                answers = list(pool.map(commit, clients))
            for client in clients:
                client.close()
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [200, 409, 409], ([a.text for a in answers], server.output)
            version = next(a for a in answers if a.status_code == 200).json()["version"]
            for answer in answers:
                if answer.status_code == 409:
                    message = _refusal(answer)
                    assert (
                        "a commit of this upload is in progress" in message
                        or f"already committed as version {version}" in message
                    ), message
            with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
                late = _refusal(_commit(client, session))
            assert f"this upload was already committed as version {version}" in late


def test_a_retry_after_a_crash_in_the_middle_of_a_commit_is_a_clear_409(tmp_path: Path) -> None:
    data = tmp_path / "data"
    headers = prepare_data(data)
    with served(data, **{CRASH_AT: "after-snapshot"}) as server:
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
            session = _upload(client)
            with pytest.raises(httpx.TransportError):
                _commit(client, session)  # the server is killed half-way through
        assert server.process.wait(timeout=30) == -signal.SIGKILL
    with (
        served(data) as server,
        httpx.Client(base_url=server.url, headers=headers, timeout=120) as client,
    ):
        retry = _refusal(_commit(client, session))  # was a 500
        # the interrupted commit is finished by a commit two minutes later
        # (tests/services/test_uploads.py moves the clock to show it)
        assert "a commit of this upload is in progress" in retry
        assert "committing again after two minutes" in retry
