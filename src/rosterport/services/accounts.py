"""Accounts of the admin UI, sign-in sessions, API tokens and sign-in rate limiting.

Two roles: a platform administrator manages every organization (creates organizations and
their administrators); an organization administrator works inside one organization only.
Passwords are hashed with argon2id. Sign-in sessions and API tokens are random 256-bit
secrets handed to the client once; the database keeps only their SHA-256, so a copy of the
database does not let anyone sign in.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rosterport.crypto import token_digest
from rosterport.errors import InputError, NotFoundError, RateLimitedError, SignInError
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import accounts as store
from rosterport.store import login_attempts
from rosterport.store.engine import immediate

RATE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 10
TOKEN_PREFIX = "rp_"
USE_RESOLUTION = timedelta(minutes=1)  # "last used" of a token is kept to the minute
# pg_advisory_xact_lock key held while a sign-in is checked against the rate limit (the
# ASCII bytes of "rp-login" as a bigint)
SIGN_IN_LOCK = 0x72702D6C6F67696E

_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    email: str
    is_platform: bool
    org_id: int | None

    def may_manage(self, org: Organization) -> bool:
        """Platform administrators manage every organization, the others only their own."""
        return self.is_platform or self.org_id == org.id


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A browser's sign-in: the account and the session's CSRF token."""

    account: Account
    csrf: str


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenUser:
    """Who an API token speaks for: the token's organization, as the account that made it."""

    account: Account
    org_id: int
    token_name: str


def _normal_email(email: str) -> str:
    return email.strip().lower()


def generate_password() -> str:
    """A password for an account created without one (printed once)."""
    return secrets.token_urlsafe(12)


def check_password_rules(password: str) -> None:
    """Refuse a password too short to be a password (account creation and reset alike)."""
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the password is {len(password)} characters long; use at least {MIN_PASSWORD}"
        )


def hash_password(password: str) -> str:
    """The argon2id hash kept for a password."""
    return _hasher.hash(password)


def create_account(
    hub: Hub,
    email: str,
    password: str,
    *,
    platform: bool = False,
    org: Organization | None = None,
) -> Account:
    """A new account: a platform administrator, or the administrator of `org`."""
    address = _normal_email(email)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise InputError(f"'{email}' is not an e-mail address; give one like name@district.org")
    check_password_rules(password)
    if not platform and org is None:
        raise InputError(
            "an organization administrator needs an organization (--org SLUG), "
            "or make the account a platform administrator (--platform)"
        )
    with hub.engine.begin() as conn:
        if store.email_taken(conn, address):
            raise InputError(f"an account for {address} already exists; sign in with it instead")
        account_id = store.insert(
            conn,
            address,
            hash_password(password),
            is_platform=platform,
            org_id=None if platform or org is None else org.id,
            now=hub.clock(),
        )
    return Account(account_id, address, platform, None if platform or org is None else org.id)


def list_accounts(hub: Hub, org: Organization | None = None) -> list[Account]:
    """Every account (platform view), or the administrators of `org`."""
    with hub.engine.connect() as conn:
        return [
            _account(r) for r in store.all_by_email(conn, org_id=None if org is None else org.id)
        ]


def any_account(hub: Hub) -> bool:
    with hub.engine.connect() as conn:
        return store.any_account(conn)


def _account(row: sa.Row[tuple[object, ...]]) -> Account:
    return Account(int(row.id), str(row.email), bool(row.is_platform), row.org_id)


def sign_in(hub: Hub, email: str, password: str, *, address: str, limit: int, hours: int) -> str:
    """Check the password and open a session; returns the session token for the cookie.

    More than `limit` failures for the same e-mail address, or from the same client address,
    within 15 minutes refuse further attempts until the window has passed. Each attempt is
    recorded as a failure before its password is checked, in a transaction that no other
    sign-in check runs beside, so `limit` attempts sent at once are all that get checked;
    a right password then takes its record back. An unknown e-mail address costs the same
    argon2 check as a known one, so that the time of the answer does not tell them apart.
    """
    who = _normal_email(email)
    now = hub.clock()
    attempt, row = _record_attempt(hub, who, address, now, limit)
    stored = row.password_hash if row is not None else _unknown_account_hash()
    matches = _password_matches(stored, password)
    if row is None or not matches:
        raise SignInError("wrong e-mail address or password; check both and try again")
    token = secrets.token_urlsafe(32)
    with hub.engine.begin() as conn:
        login_attempts.remove(conn, attempt)
        store.add_session(
            conn,
            token_digest(token),
            row.id,
            csrf=secrets.token_urlsafe(32),
            now=now,
            expires_at=now + timedelta(hours=hours),
        )
        store.drop_expired_sessions(conn, now=now)
    return token


def _record_attempt(
    hub: Hub, who: str, address: str, now: datetime, limit: int
) -> tuple[int, sa.Row[tuple[object, ...]] | None]:
    """Count the recent failures of `who` and of `address` and, under the limit, record this
    attempt as one; returns its id and the account's row. Check and record are one step:
    SQLite's write lock (BEGIN IMMEDIATE) or, on PostgreSQL, a transaction-level advisory
    lock lets one sign-in at a time through here."""
    since = now - RATE_WINDOW
    with immediate(hub.engine).begin() as conn:
        store.lock_sign_ins(conn, SIGN_IN_LOCK)
        login_attempts.forget(conn, before=since)
        failures = login_attempts.count_since(conn, who, address, since=since)
        if failures >= limit:
            raise RateLimitedError(
                "too many failed sign-ins for this account or from this address; "
                "wait 15 minutes and try again"
            )
        attempt = login_attempts.record(conn, who, address[:64], now=now)
        row = store.by_email(conn, who)
    return attempt, row


@functools.cache
def _unknown_account_hash() -> str:
    """An argon2 hash of a random password, checked for e-mail addresses without an account
    (made once per process, with the parameters of real hashes)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def signed_in(hub: Hub, token: str) -> SignedIn | None:
    """The account a session token belongs to, or None when unknown or expired."""
    with hub.engine.connect() as conn:
        row = store.session_account(conn, token_digest(token), now=hub.clock())
    return None if row is None else SignedIn(_account(row), str(row.csrf))


def sign_out(hub: Hub, token: str) -> None:
    with hub.engine.begin() as conn:
        store.drop_session(conn, token_digest(token))


def create_token(hub: Hub, org: Organization, account: Account, name: str) -> str:
    """A new API token for `org`; the token itself is returned once and never stored."""
    label = name.strip()
    if not label:
        raise InputError("give the token a name that says what uses it, e.g. 'SIS nightly sync'")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with hub.engine.begin() as conn:
        store.add_token(
            conn,
            org.id,
            account.id,
            name=label[:100],
            token_hash=token_digest(token),
            prefix=token[:10],
            now=hub.clock(),
        )
    return token


def list_tokens(hub: Hub, org: Organization) -> list[TokenInfo]:
    """The organization's tokens that are not revoked, newest first."""
    with hub.engine.connect() as conn:
        rows = store.active_tokens(conn, org.id)
    return [TokenInfo(r.id, r.name, r.prefix, r.email, r.created_at, r.last_used_at) for r in rows]


def revoke_token(hub: Hub, org: Organization, token_id: int) -> None:
    with hub.engine.begin() as conn:
        done = store.revoke_token(conn, org.id, token_id, now=hub.clock())
    if not done:
        raise NotFoundError(f"no active API token {token_id} in {org.slug}")


def token_user(hub: Hub, token: str) -> TokenUser | None:
    """Who a bearer token speaks for, or None when it is unknown or revoked."""
    now = hub.clock()
    with hub.engine.connect() as conn:
        row = store.token_account(conn, token_digest(token))
    if row is None:
        return None
    if row.token_used is None or now - row.token_used > USE_RESOLUTION:
        # a write of its own (on SQLite, a read that turns into a write can fail at once
        # when another writer got in first), and at most once a minute per token
        with hub.engine.begin() as conn:
            store.set_token_used(conn, row.token_id, now=now)
    return TokenUser(_account(row), int(row.token_org), str(row.token_name))
