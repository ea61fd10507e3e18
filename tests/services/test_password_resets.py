"""Forgotten-password resets on both databases: single use, expiry by the injected clock,
replacement by a newer reset, sessions ended, another account's reset refused, codes'
brute force stopped by the rate limit, and no difference for unknown addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rosterport.errors import InputError, NotFoundError
from rosterport.services import accounts
from rosterport.services import password_resets as resets
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from tests.conftest import Clock

OLD, NEW, NEWER = "old password 1", "new password 22", "newer password 333"
ALICE, BOB = "alice@springfield.example", "bob@springfield.example"
LIMIT = 5


@pytest.fixture
def people(hub: Hub, org: Organization) -> None:
    accounts.create_account(hub, ALICE, OLD, org=org)
    accounts.create_account(hub, BOB, OLD, org=org)


def _signs_in(hub: Hub, email: str, password: str) -> bool:
    try:
        accounts.sign_in(hub, email, password, address="10.0.0.9", limit=100, hours=1)
    except accounts.SignInError:
        return False
    return True


def _by_token(hub: Hub, token: str, password: str = NEW, address: str = "10.0.0.1") -> str:
    return resets.reset_with_token(hub, token, password, address=address, limit=LIMIT)


def _by_code(hub: Hub, email: str, code: str, password: str = NEW) -> str:
    return resets.reset_with_code(hub, email, code, password, address="10.0.0.1", limit=LIMIT)


@pytest.mark.usefixtures("people")
def test_a_link_sets_the_password_once_and_ends_every_session(hub: Hub) -> None:
    session = accounts.sign_in(hub, ALICE, OLD, address="10.0.0.2", limit=5, hours=1)
    issued = resets.issue_reset(hub, "  Alice@Springfield.example ")
    assert issued.email == ALICE
    assert issued.path == f"/reset-password?token={issued.token}"

    assert _by_token(hub, issued.token) == ALICE

    assert accounts.signed_in(hub, session) is None  # the old session ended
    assert _signs_in(hub, ALICE, NEW)
    assert not _signs_in(hub, ALICE, OLD)
    with pytest.raises(resets.ResetRefusedError, match="used already"):
        _by_token(hub, issued.token, NEWER)  # a used link does not work again
    with pytest.raises(resets.ResetRefusedError):
        _by_code(hub, ALICE, issued.code, NEWER)  # nor its code
    assert _signs_in(hub, ALICE, NEW)


@pytest.mark.usefixtures("people")
def test_a_code_works_with_its_own_address_only(hub: Hub) -> None:
    issued = resets.issue_reset(hub, ALICE)
    shown = resets.shown_code(issued.code)
    assert len(issued.code) == resets.CODE_LENGTH
    assert shown.count("-") == 2

    with pytest.raises(resets.ResetRefusedError):
        _by_code(hub, BOB, shown)  # Alice's code is not Bob's
    assert _signs_in(hub, BOB, OLD)

    assert _by_code(hub, ALICE, shown.lower().replace("-", " ")) == ALICE  # as typed
    assert _signs_in(hub, ALICE, NEW)


@pytest.mark.usefixtures("people")
def test_a_reset_expires_after_thirty_minutes_of_the_clock(hub: Hub, clock: Clock) -> None:
    early = resets.issue_reset(hub, ALICE)
    clock.now += timedelta(minutes=resets.RESET_MINUTES - 1)
    late = resets.issue_reset(hub, BOB)
    clock.now += timedelta(minutes=2)  # Alice's is 31 minutes old, Bob's 2

    with pytest.raises(resets.ResetRefusedError, match="expired"):
        _by_token(hub, early.token)
    assert _signs_in(hub, ALICE, OLD)
    assert _by_token(hub, late.token) == BOB


@pytest.mark.usefixtures("people")
def test_a_newer_reset_replaces_the_older_one(hub: Hub) -> None:
    first = resets.issue_reset(hub, ALICE)
    second = resets.issue_reset(hub, ALICE)

    with pytest.raises(resets.ResetRefusedError):
        _by_token(hub, first.token)
    with pytest.raises(resets.ResetRefusedError):
        _by_code(hub, ALICE, first.code)
    assert _by_code(hub, ALICE, second.code) == ALICE


@pytest.mark.usefixtures("people")
def test_the_new_password_follows_the_account_rules_and_a_refusal_keeps_the_reset(
    hub: Hub,
) -> None:
    issued = resets.issue_reset(hub, ALICE)
    with pytest.raises(InputError, match="at least 10"):
        _by_token(hub, issued.token, "short")
    assert _by_token(hub, issued.token) == ALICE  # a too-short password did not use it up


@pytest.mark.usefixtures("people")
def test_guessing_codes_is_stopped_by_the_rate_limit(hub: Hub) -> None:
    issued = resets.issue_reset(hub, ALICE)
    wrong = "".join("A" if c != "A" else "B" for c in issued.code)
    for _ in range(LIMIT):
        with pytest.raises(resets.ResetRefusedError):
            _by_code(hub, ALICE, wrong)
    with pytest.raises(accounts.RateLimitedError):
        _by_code(hub, ALICE, issued.code)  # even the right code waits: the limit is reached
    with pytest.raises(accounts.RateLimitedError):  # from another address too (per account)
        resets.reset_with_code(hub, ALICE, issued.code, NEW, address="10.9.9.9", limit=LIMIT)
    assert _signs_in(hub, ALICE, OLD)


@pytest.mark.usefixtures("people")
def test_guessing_link_tokens_is_limited_per_client_only(hub: Hub) -> None:
    for _ in range(LIMIT):
        with pytest.raises(resets.ResetRefusedError):
            _by_token(hub, "guessed-token", address="10.6.6.6")
    with pytest.raises(accounts.RateLimitedError):
        _by_token(hub, "guessed-token", address="10.6.6.6")
    issued = resets.issue_reset(hub, ALICE)
    assert _by_token(hub, issued.token, address="10.0.0.7") == ALICE  # others go on


@pytest.mark.usefixtures("people")
def test_a_request_answers_alike_for_unknown_addresses_and_is_rate_limited(hub: Hub) -> None:
    known = resets.request_reset(hub, ALICE, address="10.0.0.3", limit=3)
    unknown = resets.request_reset(hub, "nobody@springfield.example", address="10.0.0.4", limit=3)
    assert known is not None
    assert known.email == ALICE
    assert unknown is None
    assert _by_token(hub, known.token) == ALICE

    for _ in range(3):  # three allowed in 15 minutes
        resets.request_reset(hub, BOB, address="10.0.0.5", limit=3)
    with pytest.raises(accounts.RateLimitedError):
        resets.request_reset(hub, BOB, address="10.0.0.5", limit=3)
    for _ in range(3):  # an unknown address is limited the same
        resets.request_reset(hub, "nobody@x.example", address="10.0.0.8", limit=3)
    with pytest.raises(accounts.RateLimitedError):
        resets.request_reset(hub, "nobody@x.example", address="10.0.0.8", limit=3)


def test_an_operator_reset_of_an_unknown_address_says_so(hub: Hub) -> None:
    with pytest.raises(NotFoundError, match=r"no account for nobody@x\.example"):
        resets.issue_reset(hub, "nobody@x.example")
