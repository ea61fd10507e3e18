"""One error shape for the API, and the HTTP status of each kind of error.

Every API error answers

    {"error": {"status": 404, "code": "not_found", "message": "…what, where, how to fix…",
               "request_id": "…"}}

whatever raised it: a service error (the classes of `rosterport.errors`, each mapped to a
4xx), a request FastAPI could not parse, or anything else, which is a bug: a 500 whose
message says so without a traceback or the exception's text, while the traceback goes to the
server log with the same request id.
"""

from __future__ import annotations

import logging
from typing import Any

from rosterport import logs
from rosterport.errors import (
    ArchiveError,
    BlobNotFoundError,
    ConfigurationError,
    InputError,
    NotFoundError,
    ProductionChangedError,
    RateLimitedError,
    RosterportError,
    SignInError,
    StateError,
    StorageUnavailableError,
)

log = logging.getLogger("rosterport.web")


class HttpProblem(Exception):
    """An error the web layer itself raises (authentication, permissions, limits)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# most specific first: the first class an error is an instance of decides
_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (NotFoundError, 404, "not_found"),
    (BlobNotFoundError, 404, "not_found"),
    (ArchiveError, 400, "bad_archive"),
    (InputError, 400, "invalid_input"),
    (ConfigurationError, 400, "invalid_setting"),
    (ProductionChangedError, 409, "production_changed"),
    (StateError, 409, "wrong_state"),
    (SignInError, 401, "sign_in_failed"),
    (RateLimitedError, 429, "rate_limited"),
    (StorageUnavailableError, 503, "storage_unavailable"),
)


def classify(error: Exception) -> HttpProblem:
    """The status, code and message of an error raised while answering a request."""
    if isinstance(error, HttpProblem):
        return error
    if isinstance(error, RosterportError):
        for kind, status, code in _STATUS:
            if isinstance(error, kind):
                return HttpProblem(status, code, str(error))
        return HttpProblem(400, "error", str(error))
    # anything else is a bug (a ValueError too: input errors are InputError): the traceback
    # goes to the log, with the request id the answer carries
    log.error("unexpected error while answering a request", exc_info=error)
    return HttpProblem(
        500,
        "internal_error",
        "rosterport failed unexpectedly; nothing was changed by this request. "
        "Try again, and if it keeps failing send the server log to your operator",
    )


def envelope(problem: HttpProblem, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": problem.status,
        "code": problem.code,
        "message": problem.message,
    }
    if details is not None:
        body["details"] = details
    request_id = logs.request_id.get()
    if request_id is not None:
        body["request_id"] = request_id
    return {"error": body}
