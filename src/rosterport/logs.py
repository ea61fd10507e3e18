"""Logging: plain text (the default) or one JSON object per line
(`ROSTERPORT_LOG_FORMAT=json`), each line carrying the request id of the HTTP request, or the
job id and kind of the worker's job, it was logged for.

The ids live in context variables set by the web middleware (`web/app.py`) and the worker
(`jobs/worker.py`); a logging filter copies them onto every record. The time of a line is
the record's own `created` (set by logging when the record is made).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from rosterport.errors import ConfigurationError

request_id: ContextVar[str | None] = ContextVar("rosterport_request_id", default=None)
job: ContextVar[tuple[int, str] | None] = ContextVar("rosterport_job", default=None)

FORMATS = ("text", "json")
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # a token: no spaces, quotes or newlines
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"


def new_request_id(incoming: str | None = None) -> str:
    """The request id to use: the caller's `X-Request-ID` when it is a sane token (letters,
    digits, `._:-`, at most 128), else a fresh random one."""
    if incoming is not None and _SANE_ID.match(incoming):
        return incoming
    return secrets.token_hex(16)


@contextmanager
def job_context(job_id: int, kind: str) -> Iterator[None]:
    """Log lines inside the block name this job."""
    token = job.set((job_id, kind))
    try:
        yield
    finally:
        job.reset(token)


class ContextFilter(logging.Filter):
    """Adds `request_id`, `job_id` and `job_kind` (None outside a request or job) and a
    `context` text for the plain format."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid, running = request_id.get(), job.get()
        record.request_id = rid
        record.job_id, record.job_kind = running if running else (None, None)
        parts = [f"request={rid}"] if rid else []
        if running:
            parts.append(f"job={running[0]} kind={running[1]}")
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the
    request or job it belongs to, and the traceback of an exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "job_id", "job_kind"):
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


def handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) writing `log_format` lines with the context."""
    if log_format not in FORMATS:
        raise ConfigurationError(
            f"ROSTERPORT_LOG_FORMAT: {log_format!r} is not a log format; use text or json"
        )
    made = logging.StreamHandler(stream or sys.stderr)
    made.addFilter(ContextFilter())
    made.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return made


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Send every log line (rosterport's, uvicorn's, the libraries') through one handler on
    the root logger, in `log_format`."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "rosterport", False):
            root.removeHandler(old)
    made = handler(log_format)
    made.rosterport = True  # type: ignore[attr-defined]  # marks the handler this set up
    root.addHandler(made)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # through the root handler
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
