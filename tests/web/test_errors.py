"""Every answer carries a request id (the caller's, when sane); every error answer has it in
the one error shape; an unexpected error is a 500 whose traceback is logged with that id and
never shown."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rosterport import logs
from rosterport.web.app import create_app
from tests.web.conftest import Site

SECRET = "connection string postgres://admin:hunter2@db"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    made = logs.handler("json", stream)
    root = logging.getLogger()
    root.addHandler(made)
    try:
        yield stream
    finally:
        root.removeHandler(made)


@pytest.fixture
def broken(site: Site) -> Iterator[TestClient]:
    """The app with two routes that fail the way a bug does (an API one and a page)."""
    app = create_app(site.hub, site.settings, worker=False)

    def fail() -> None:
        raise RuntimeError(SECRET)

    def fail_value() -> None:
        int("not a number")

    app.add_api_route("/api/v1/test-bug", fail)
    app.add_api_route("/api/v1/test-value-bug", fail_value)
    app.add_api_route("/test-bug-page", fail)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_every_answer_has_a_request_id(site: Site) -> None:
    first = site.client.get("/healthz").headers["X-Request-ID"]
    second = site.client.get("/healthz").headers["X-Request-ID"]
    assert first != second
    assert len(first) == 32
    kept = site.client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.1"
    odd = site.client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert odd.headers["X-Request-ID"] != "<script>"


def test_an_error_answer_carries_the_request_id(site: Site) -> None:
    answer = site.client.get(
        "/api/v1/orgs/nowhere/versions", headers={**site.token(), "X-Request-ID": "trace-42"}
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["request_id"] == "trace-42"
    assert answer.headers["X-Request-ID"] == "trace-42"
    unsigned = site.client.get("/api/v1/orgs")
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["request_id"] == unsigned.headers["X-Request-ID"]


def test_a_bug_is_a_500_with_the_request_id_and_its_traceback_only_in_the_log(
    broken: TestClient, captured: io.StringIO
) -> None:
    answer = broken.get("/api/v1/test-bug")
    assert answer.status_code == 500
    error = answer.json()["error"]
    assert error["code"] == "internal_error"
    request_id = error["request_id"]
    assert answer.headers["X-Request-ID"] == request_id
    assert SECRET not in answer.text
    assert "Traceback" not in answer.text
    logged = [json.loads(line) for line in captured.getvalue().splitlines()]
    (line,) = [entry for entry in logged if entry.get("request_id") == request_id]
    assert line["level"] == "error"
    assert "Traceback" in line["exception"]
    assert f"RuntimeError: {SECRET}" in line["exception"]


def test_a_value_error_of_a_bug_is_a_500_not_bad_input(broken: TestClient) -> None:
    answer = broken.get("/api/v1/test-value-bug")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert "not a number" not in answer.text


def test_a_bug_on_a_page_shows_the_request_id_not_the_traceback(
    broken: TestClient, captured: io.StringIO
) -> None:
    answer = broken.get("/test-bug-page")
    assert answer.status_code == 500
    request_id = answer.headers["X-Request-ID"]
    assert request_id in answer.text
    assert SECRET not in answer.text
    assert request_id in captured.getvalue()
