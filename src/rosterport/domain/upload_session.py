"""The upload session's state machine: its states, and from which states each step starts.

    adding → validated (or failed: errors) → previewed (changes verified) → committing
           → committed

- files may be added or removed, and the upload validated again, from every open state
  (`OPEN`: adding, validated, previewed, failed); each is reset (→ reset) or expires
  (→ expired) from there too;
- a commit takes the session to committing from validated (it compares first) or previewed;
  one refused because production moved goes back to previewed (validate again); one that
  crashed leaves committing, and the next commit resumes it once it is stale.

Pure data: `services/uploads.py` applies it, moving the state by compare-and-set
(`services/upload_commit.py` takes a session to committing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

ADDING: Final = "adding"
VALIDATED: Final = "validated"
PREVIEWED: Final = "previewed"  # changes verified
COMMITTING: Final = "committing"
COMMITTED: Final = "committed"
RESET: Final = "reset"
EXPIRED: Final = "expired"
FAILED: Final = "failed"  # validated, with errors
STATES: Final = (ADDING, VALIDATED, PREVIEWED, COMMITTING, COMMITTED, RESET, EXPIRED, FAILED)

OPEN: Final = frozenset({ADDING, VALIDATED, PREVIEWED, FAILED})  # files, validation, reset
WITH_REPORT: Final = frozenset({VALIDATED, PREVIEWED, FAILED})  # a validation's report exists
KEEPS_BASE: Final = frozenset({VALIDATED, FAILED})  # entering these records the base version

ADD_FILES, REMOVE_FILE, VALIDATE, VERIFY, CHANGE_DETAIL, COMMIT, TAKE, RESET_STEP = (
    "add files",
    "remove a file",
    "validate",
    "verify changes",
    "change detail",
    "commit",
    "take for commit",
    "reset",
)
STARTS: Final[Mapping[str, frozenset[str]]] = {
    ADD_FILES: OPEN,
    REMOVE_FILE: OPEN,
    VALIDATE: OPEN,
    VERIFY: frozenset({VALIDATED, PREVIEWED}),
    CHANGE_DETAIL: frozenset({PREVIEWED}),
    # a commit is asked from these; from committing or committed it says why it cannot
    COMMIT: frozenset({VALIDATED, PREVIEWED, COMMITTING, COMMITTED}),
    # the compare-and-set that picks the one committer (committing: a stale, crashed one)
    TAKE: frozenset({VALIDATED, PREVIEWED, COMMITTING}),
    RESET_STEP: OPEN,
}


def may(step: str, state: str) -> bool:
    """Whether `step` may start from a session in `state`."""
    return state in STARTS[step]
