"""One error shape for the API, and the HTTP status of each kind of error.

Every API error answers

    {"error": {"status": 404, "code": "not_found", "message": "…what, where, how to fix…"}}

whatever raised it: a service error, a request FastAPI could not parse, or a bug (then the
message says so without a traceback or the exception's text, and the traceback goes to the
server log).
"""

from __future__ import annotations

import logging
from typing import Any

from rosterport.blobs import BlobNotFoundError
from rosterport.errors import (
    ArchiveError,
    ConfigurationError,
    InputError,
    NotFoundError,
    ProductionChangedError,
    RosterportError,
    StateError,
)
from rosterport.services.accounts import RateLimitedError, SignInError

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
    if isinstance(error, ValueError) and _raised_by_rosterport(error):
        # our parsers' "unknown level 'x'; expected …"; a ValueError of a library is a bug
        return HttpProblem(400, "invalid_input", str(error))
    log.exception("unexpected error while answering a request", exc_info=error)
    return HttpProblem(
        500,
        "internal_error",
        "rosterport failed unexpectedly; nothing was changed by this request. "
        "Try again, and if it keeps failing send the server log to your operator",
    )


def _raised_by_rosterport(error: BaseException) -> bool:
    """Whether `error` was raised by rosterport's own code (the innermost frame of its
    traceback is in a rosterport module), not by a library or Python."""
    trace = error.__traceback__
    if trace is None:
        return False
    while trace.tb_next is not None:
        trace = trace.tb_next
    module = trace.tb_frame.f_globals.get("__name__", "")
    return isinstance(module, str) and module.startswith("rosterport.")


def envelope(problem: HttpProblem, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": problem.status,
        "code": problem.code,
        "message": problem.message,
    }
    if details is not None:
        body["details"] = details
    return {"error": body}
