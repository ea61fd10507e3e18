"""The upload session's state machine (domain/upload_session.py)."""

from __future__ import annotations

import pytest

from rosterport.domain import upload_session as s


def test_every_step_starts_only_from_known_states() -> None:
    for step, states in s.STARTS.items():
        assert states <= set(s.STATES), step


@pytest.mark.parametrize("ended", [s.RESET, s.EXPIRED])
def test_nothing_starts_from_an_ended_session(ended: str) -> None:
    assert not any(s.may(step, ended) for step in s.STARTS)


def test_a_commit_needs_a_validation_without_errors() -> None:
    for state in (s.ADDING, s.FAILED):
        assert not s.may(s.COMMIT, state)
        assert not s.may(s.TAKE, state)
    assert s.may(s.TAKE, s.VALIDATED)  # the committer compares first
    assert s.may(s.TAKE, s.PREVIEWED)
    assert not s.may(s.TAKE, s.COMMITTED)  # asked, it is told the version
    assert s.STARTS[s.TAKE] <= s.STARTS[s.COMMIT]


def test_files_change_and_validation_restarts_only_while_open() -> None:
    for step in (s.ADD_FILES, s.REMOVE_FILE, s.VALIDATE, s.RESET_STEP):
        assert s.STARTS[step] == s.OPEN
    assert s.COMMITTING not in s.OPEN
    assert s.COMMITTED not in s.OPEN


def test_the_change_detail_needs_verified_changes() -> None:
    assert s.STARTS[s.CHANGE_DETAIL] == {s.PREVIEWED}
    assert s.STARTS[s.VERIFY] == {s.VALIDATED, s.PREVIEWED}
    assert {s.VALIDATED, s.PREVIEWED, s.FAILED} == s.WITH_REPORT
