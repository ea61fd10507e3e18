"""The exception tree of rosterport: every exception the product raises is one of these
(tests/test_errors.py walks the source and holds it so).

    RosterportError          base of every error the product raises on purpose
    ├── InputError           unusable input or arguments: a path that does not exist, an
    │   │                    unknown data model or level, a zip that is not a zip (CLI exit
    │   │                    status 2, HTTP 400)
    │   ├── NotFoundError    no such organization, version, upload session or token (HTTP 404)
    │   │   └── OrganizationNotFoundError
    │   ├── UnknownModelError
    │   ├── ArchiveError     zip entries escaping the folder, zip bombs, unreadable archives
    │   └── QueryError       a OneRoster query parameter the API refuses, with its code minor
    ├── ConfigurationError   an invalid setting (HTTP 400 when a form sets it)
    ├── ProductionChangedError  another version was committed since this preview: validate
    │                        again (CLI exit status 1, HTTP 409)
    ├── StateError           an action the current state does not allow (HTTP 409)
    ├── SignInError          wrong e-mail address or password (HTTP 401)
    ├── RateLimitedError     too many failed sign-ins (HTTP 429)
    ├── StorageError         blob storage
    │   ├── BlobNotFoundError       a blob key that does not exist (HTTP 404)
    │   └── StorageUnavailableError the blob store does not answer (HTTP 503)
    ├── OAuthError           a token request refused, with its RFC 6749 code and status
    ├── ApiProblem           a OneRoster API answer other than 200 (status, code minor)
    ├── ConnectionFailed     (rosterport.remote) an outgoing SFTP connection stopped at a
    │                        step (its report says which and why)
    ├── UploadFailed         (rosterport.remote) an export's upload stopped after signing in
    ├── CursorExpiredError   a change-feed cursor older than the retention (HTTP 410)
    └── JobDeferred          a job cannot run yet (another job holds what it needs): the
                             worker puts it back for later without counting an attempt

    HttpProblem              (rosterport.web.errors; FieldProblem below it) the web layer's
                             own answers: authentication, permissions, limits, a form
                             field's error. Not a RosterportError on purpose: the admin pages
                             turn a RosterportError into a message on the form, and a
                             missing permission must stay a 403 page

Outside the tree, on purpose: the SFTP server raises asyncssh's `SFTPError` kinds (the SFTP
protocol answers a client with their status codes), `OSError` where asyncssh expects one from
a file system call, and `NotImplementedError`/`StopIteration`-style protocol errors of Python
itself. Anything else that escapes is a bug: the web layer answers 500 with the request id
and logs the traceback.

Every message says what is wrong, where, and how to fix it; adapters print it as it is and
never show a traceback to a user.
"""

from __future__ import annotations


class RosterportError(Exception):
    """Base class: an error rosterport raises on purpose, with a message for people."""


class InputError(RosterportError, ValueError):
    """The input cannot be used at all (as opposed to data with validation issues). Also a
    ValueError, as Python's own argument errors are, so callers checking arguments the usual
    way still catch it."""


class NotFoundError(InputError):
    """Something named by id or slug does not exist (or is not visible to the caller)."""


class OrganizationNotFoundError(NotFoundError):
    """No organization with that slug."""


class UnknownModelError(InputError):
    """A data model name that rosterport does not know."""


class ArchiveError(InputError):
    """A zip archive that is refused: escaping paths, too large, too many entries."""


class QueryError(InputError):
    """A query parameter the API refuses (HTTP 400), with its OneRoster code minor."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ConfigurationError(RosterportError):
    """An invalid setting or option value."""


class ProductionChangedError(RosterportError):
    """Another version was committed after this preview was computed."""


class StateError(RosterportError):
    """An action that the current state does not allow (commit twice, approve a committed
    version, add files to a committed session)."""


class SignInError(RosterportError):
    """Wrong e-mail address or password (deliberately not saying which)."""


class RateLimitedError(RosterportError):
    """Too many failed sign-ins: wait before trying again."""


class StorageError(RosterportError):
    """Blob storage failed or holds something else than expected."""


class BlobNotFoundError(StorageError):
    """A blob key that does not exist."""


class StorageUnavailableError(StorageError):
    """The blob store cannot be reached (or not with these credentials)."""


class OAuthError(RosterportError):
    """A token request refused, with its RFC 6749 error code and HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class ApiProblem(RosterportError):
    """A OneRoster API answer other than 200: HTTP status and OneRoster code minor."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.retry_after: int | None = None

    def waiting(self, seconds: int) -> ApiProblem:
        """This problem, answered with `Retry-After: seconds`."""
        self.retry_after = seconds
        return self


class JobDeferred(RosterportError):
    """A job handler cannot run yet; the worker queues the job again after `seconds`
    without counting the attempt."""

    def __init__(self, message: str, seconds: float = 2.0) -> None:
        super().__init__(message)
        self.seconds = seconds


class CursorExpiredError(RosterportError):
    """A change-feed cursor older than the feed's retention: events after it were purged
    (`current` is a cursor to follow the feed from after re-reading the roster)."""

    def __init__(self, message: str, current: str) -> None:
        super().__init__(message)
        self.current = current
