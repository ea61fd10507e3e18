"""Accounts, sign-in sessions, rate limiting and API tokens, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rosterport.errors import InputError, NotFoundError
from rosterport.services import accounts
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from tests.conftest import Clock

PASSWORD = "correct horse battery"


def test_sign_in_and_out(hub: Hub, org: Organization, clock: Clock) -> None:
    made = accounts.create_account(hub, " Admin@Springfield.Example ", PASSWORD, org=org)
    assert made.email == "admin@springfield.example"
    assert made.may_manage(org)
    token = accounts.sign_in(
        hub, "ADMIN@springfield.example", PASSWORD, address="1.2.3.4", limit=5, hours=12
    )
    signed = accounts.signed_in(hub, token)
    assert signed is not None
    assert signed.account == made
    clock.now += timedelta(hours=13)
    assert accounts.signed_in(hub, token) is None  # expired
    clock.now -= timedelta(hours=13)
    accounts.sign_out(hub, token)
    assert accounts.signed_in(hub, token) is None


def test_accounts_are_checked(hub: Hub, org: Organization) -> None:
    with pytest.raises(InputError, match="not an e-mail address"):
        accounts.create_account(hub, "nobody", PASSWORD, org=org)
    with pytest.raises(InputError, match="at least 10"):
        accounts.create_account(hub, "a@b.example", "short", org=org)
    with pytest.raises(InputError, match="needs an organization"):
        accounts.create_account(hub, "a@b.example", PASSWORD)
    accounts.create_account(hub, "a@b.example", PASSWORD, platform=True)
    with pytest.raises(InputError, match="already exists"):
        accounts.create_account(hub, "A@b.example", PASSWORD, platform=True)


def test_failed_sign_ins_are_limited_per_address_and_per_account(
    hub: Hub, org: Organization, clock: Clock
) -> None:
    accounts.create_account(hub, "a@b.example", PASSWORD, org=org)
    for _ in range(3):
        with pytest.raises(accounts.SignInError):
            accounts.sign_in(hub, "a@b.example", "wrong", address="9.9.9.9", limit=3, hours=1)
    with pytest.raises(accounts.RateLimitedError):
        accounts.sign_in(hub, "a@b.example", PASSWORD, address="1.1.1.1", limit=3, hours=1)
    with pytest.raises(accounts.RateLimitedError):  # the same client, another account
        accounts.sign_in(hub, "x@b.example", PASSWORD, address="9.9.9.9", limit=3, hours=1)
    clock.now += timedelta(minutes=16)
    assert accounts.sign_in(hub, "a@b.example", PASSWORD, address="1.1.1.1", limit=3, hours=1)


def test_api_tokens(hub: Hub, org: Organization) -> None:
    admin = accounts.create_account(hub, "a@b.example", PASSWORD, org=org)
    token = accounts.create_token(hub, org, admin, "SIS sync")
    user = accounts.token_user(hub, token)
    assert user is not None
    assert (user.account.email, user.org_id, user.token_name) == ("a@b.example", org.id, "SIS sync")
    [listed] = accounts.list_tokens(hub, org)
    assert listed.last_used_at is not None
    assert token.startswith(listed.prefix)
    accounts.revoke_token(hub, org, listed.id)
    assert accounts.token_user(hub, token) is None
    assert accounts.token_user(hub, "rp_not-a-token") is None
    with pytest.raises(NotFoundError):
        accounts.revoke_token(hub, org, listed.id)


def test_a_right_password_does_not_count_as_a_failure(hub: Hub, org: Organization) -> None:
    """Every attempt is recorded before its password is checked (so that parallel attempts
    see each other); a right password takes its record back."""
    accounts.create_account(hub, "a@b.example", PASSWORD, org=org)
    for _ in range(5):
        assert accounts.sign_in(hub, "a@b.example", PASSWORD, address="1.1.1.1", limit=2, hours=1)
    with pytest.raises(accounts.SignInError):
        accounts.sign_in(hub, "a@b.example", "wrong", address="1.1.1.1", limit=2, hours=1)
    assert accounts.sign_in(hub, "a@b.example", PASSWORD, address="1.1.1.1", limit=2, hours=1)


def test_an_unknown_address_is_checked_like_a_known_one(hub: Hub, org: Organization) -> None:
    with pytest.raises(accounts.SignInError, match="wrong e-mail address or password"):
        accounts.sign_in(hub, "nobody@b.example", PASSWORD, address="1.1.1.1", limit=2, hours=1)
    with pytest.raises(accounts.SignInError):
        accounts.sign_in(hub, "nobody@b.example", PASSWORD, address="2.2.2.2", limit=2, hours=1)
    with pytest.raises(accounts.RateLimitedError):  # unknown addresses are limited too
        accounts.sign_in(hub, "nobody@b.example", PASSWORD, address="3.3.3.3", limit=2, hours=1)
    del org
