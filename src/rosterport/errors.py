"""The exception tree of rosterport.

    RosterportError          base of every error the product raises on purpose
    ├── InputError           unusable input or arguments: a path that does not exist, an
    │                        unknown data model, a zip that is not a zip (CLI exit status 2)
    │   ├── NotFoundError    no such organization, version, upload session or token (HTTP 404)
    │   ├── UnknownModelError
    │   └── ArchiveError     zip entries escaping the folder, zip bombs, unreadable archives
    ├── ConfigurationError   an invalid setting
    ├── ProductionChangedError  another version was committed since this preview: validate
    │                        again (CLI exit status 1)
    ├── StateError           an action the current state does not allow
    ├── CursorExpiredError   a change-feed cursor older than the retention (HTTP 410)
    └── JobDeferred          a job cannot run yet (another job holds what it needs): the
                             worker puts it back for later without counting an attempt

Every message says what is wrong, where, and how to fix it; adapters print it as it is and
never show a traceback to a user.
"""

from __future__ import annotations


class RosterportError(Exception):
    """Base class: an error rosterport raises on purpose, with a message for people."""


class InputError(RosterportError):
    """The input cannot be used at all (as opposed to data with validation issues)."""


class NotFoundError(InputError):
    """Something named by id or slug does not exist (or is not visible to the caller)."""


class UnknownModelError(InputError):
    """A data model name that rosterport does not know."""


class ArchiveError(InputError):
    """A zip archive that is refused: escaping paths, too large, too many entries."""


class ConfigurationError(RosterportError):
    """An invalid setting or option value."""


class ProductionChangedError(RosterportError):
    """Another version was committed after this preview was computed."""


class JobDeferred(RosterportError):
    """A job handler cannot run yet; the worker queues the job again after `seconds`
    without counting the attempt."""

    def __init__(self, message: str, seconds: float = 2.0) -> None:
        super().__init__(message)
        self.seconds = seconds


class StateError(RosterportError):
    """An action that the current state does not allow (commit twice, approve a committed
    version, add files to a committed session)."""


class CursorExpiredError(RosterportError):
    """A change-feed cursor older than the feed's retention: events after it were purged
    (`current` is a cursor to follow the feed from after re-reading the roster)."""

    def __init__(self, message: str, current: str) -> None:
        super().__init__(message)
        self.current = current
