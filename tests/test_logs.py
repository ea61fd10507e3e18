"""Log lines: plain text or one JSON object each, with the request id or the job they
belong to."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from rosterport import logs
from rosterport.errors import ConfigurationError
from rosterport.jobs.worker import Worker
from rosterport.store import jobs as queue
from rosterport.store.jobs import Job
from tests.conftest import EPOCH, TickingClock


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """What rosterport's JSON handler on the root logger writes."""
    stream = io.StringIO()
    made = logs.handler("json", stream)
    root = logging.getLogger()
    root.addHandler(made)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(made)
        root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_line_is_one_json_object(captured: io.StringIO) -> None:
    logging.getLogger("rosterport.test").warning("two\nlines of %s", "text")
    (line,) = lines(captured)
    assert line["level"] == "warning"
    assert line["logger"] == "rosterport.test"
    assert line["message"] == "two\nlines of text"
    assert str(line["time"]).endswith("+00:00")
    assert "request_id" not in line


def test_a_line_in_a_request_carries_its_id(captured: io.StringIO) -> None:
    token = logs.request_id.set("abc-123")
    try:
        logging.getLogger("rosterport.test").info("inside")
    finally:
        logs.request_id.reset(token)
    logging.getLogger("rosterport.test").info("outside")
    inside, outside = lines(captured)
    assert inside["request_id"] == "abc-123"
    assert "request_id" not in outside


def test_an_exception_is_logged_with_its_traceback(captured: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("rosterport.test").exception("failed")
    (line,) = lines(captured)
    assert "Traceback" in str(line["exception"])
    assert "RuntimeError: boom" in str(line["exception"])


def test_the_text_format_names_the_request() -> None:
    stream = io.StringIO()
    made = logs.handler("text", stream)
    record = logging.LogRecord("rosterport.x", logging.INFO, __file__, 1, "hello", None, None)
    token = logs.request_id.set("r1")
    try:
        made.handle(record)
    finally:
        logs.request_id.reset(token)
    assert stream.getvalue().rstrip().endswith("INFO rosterport.x [request=r1]: hello")


def test_an_unknown_format_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="ROSTERPORT_LOG_FORMAT"):
        logs.handler("xml")


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("req-1.2_3:x", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("has space", False),
        ('quote"', False),
        ("new\nline", False),
        ("", False),
        (None, False),
    ],
)
def test_a_request_id_is_kept_only_when_it_is_a_sane_token(
    incoming: str | None, *, kept: bool
) -> None:
    made = logs.new_request_id(incoming)
    assert (made == incoming) is kept
    assert logs.new_request_id(None) != logs.new_request_id(None)


def test_a_workers_lines_name_the_job(engine: sa.Engine, captured: io.StringIO) -> None:
    with engine.begin() as conn:
        job_id = queue.enqueue(conn, "work", {}, now=EPOCH, max_attempts=1)

    def handler(job: Job) -> None:
        logging.getLogger("rosterport.test").info("working on %s", job.id)
        raise RuntimeError("broken")

    Worker(engine, {"work": handler}, clock=TickingClock(), name="w").run_once()
    found = [line for line in lines(captured) if line.get("job_id") == job_id]
    assert found[0]["message"] == f"working on {job_id}"
    assert {line["job_kind"] for line in found} == {"work"}
    assert len(found) == 2  # the handler's line and the worker's line about the failure
