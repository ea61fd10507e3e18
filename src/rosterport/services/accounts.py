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
from rosterport.store.engine import immediate
from rosterport.store.tables import accounts, api_tokens, login_failures, login_sessions

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
        taken = conn.execute(sa.select(accounts.c.id).where(accounts.c.email == address)).first()
        if taken is not None:
            raise InputError(f"an account for {address} already exists; sign in with it instead")
        account_id = conn.execute(
            sa.insert(accounts)
            .values(
                email=address,
                password_hash=hash_password(password),
                is_platform=platform,
                org_id=None if platform or org is None else org.id,
                created_at=hub.clock(),
            )
            .returning(accounts.c.id)
        ).scalar_one()
    return Account(account_id, address, platform, None if platform or org is None else org.id)


def list_accounts(hub: Hub, org: Organization | None = None) -> list[Account]:
    """Every account (platform view), or the administrators of `org`."""
    query = sa.select(accounts).order_by(accounts.c.email)
    if org is not None:
        query = query.where(accounts.c.org_id == org.id)
    with hub.engine.connect() as conn:
        return [_account(r) for r in conn.execute(query)]


def any_account(hub: Hub) -> bool:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(accounts.c.id).limit(1)).first() is not None


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
        conn.execute(sa.delete(login_failures).where(login_failures.c.id == attempt))
        conn.execute(
            sa.insert(login_sessions).values(
                token_hash=token_digest(token),
                account_id=row.id,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
        conn.execute(sa.delete(login_sessions).where(login_sessions.c.expires_at < now))
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
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SIGN_IN_LOCK)))
        conn.execute(sa.delete(login_failures).where(login_failures.c.at < since))
        failures = conn.execute(
            sa.select(sa.func.count()).where(
                login_failures.c.at >= since,
                sa.or_(login_failures.c.email == who, login_failures.c.address == address),
            )
        ).scalar_one()
        if failures >= limit:
            raise RateLimitedError(
                "too many failed sign-ins for this account or from this address; "
                "wait 15 minutes and try again"
            )
        attempt = conn.execute(
            sa.insert(login_failures)
            .values(email=who, address=address[:64], at=now)
            .returning(login_failures.c.id)
        ).scalar_one()
        row = conn.execute(sa.select(accounts).where(accounts.c.email == who)).first()
    return int(attempt), row


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
        row = conn.execute(
            sa.select(accounts, login_sessions.c.csrf)
            .join(login_sessions, login_sessions.c.account_id == accounts.c.id)
            .where(
                login_sessions.c.token_hash == token_digest(token),
                login_sessions.c.expires_at > hub.clock(),
            )
        ).first()
    return None if row is None else SignedIn(_account(row), str(row.csrf))


def sign_out(hub: Hub, token: str) -> None:
    with hub.engine.begin() as conn:
        conn.execute(
            sa.delete(login_sessions).where(login_sessions.c.token_hash == token_digest(token))
        )


def create_token(hub: Hub, org: Organization, account: Account, name: str) -> str:
    """A new API token for `org`; the token itself is returned once and never stored."""
    label = name.strip()
    if not label:
        raise InputError("give the token a name that says what uses it, e.g. 'SIS nightly sync'")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with hub.engine.begin() as conn:
        conn.execute(
            sa.insert(api_tokens).values(
                org_id=org.id,
                account_id=account.id,
                name=label[:100],
                token_hash=token_digest(token),
                prefix=token[:10],
                created_at=hub.clock(),
            )
        )
    return token


def list_tokens(hub: Hub, org: Organization) -> list[TokenInfo]:
    """The organization's tokens that are not revoked, newest first."""
    with hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(api_tokens, accounts.c.email)
            .join(accounts, accounts.c.id == api_tokens.c.account_id)
            .where(api_tokens.c.org_id == org.id, api_tokens.c.revoked_at.is_(None))
            .order_by(api_tokens.c.id.desc())
        ).all()
    return [TokenInfo(r.id, r.name, r.prefix, r.email, r.created_at, r.last_used_at) for r in rows]


def revoke_token(hub: Hub, org: Organization, token_id: int) -> None:
    with hub.engine.begin() as conn:
        done = conn.execute(
            sa.update(api_tokens)
            .where(
                api_tokens.c.id == token_id,
                api_tokens.c.org_id == org.id,
                api_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=hub.clock())
        ).rowcount
    if not done:
        raise NotFoundError(f"no active API token {token_id} in {org.slug}")


def token_user(hub: Hub, token: str) -> TokenUser | None:
    """Who a bearer token speaks for, or None when it is unknown or revoked."""
    now = hub.clock()
    with hub.engine.connect() as conn:
        row = conn.execute(
            sa.select(
                accounts,
                api_tokens.c.id.label("token_id"),
                api_tokens.c.name.label("token_name"),
                api_tokens.c.org_id.label("token_org"),
                api_tokens.c.last_used_at.label("token_used"),
            )
            .join(api_tokens, api_tokens.c.account_id == accounts.c.id)
            .where(
                api_tokens.c.token_hash == token_digest(token), api_tokens.c.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        return None
    if row.token_used is None or now - row.token_used > USE_RESOLUTION:
        # a write of its own (on SQLite, a read that turns into a write can fail at once
        # when another writer got in first), and at most once a minute per token
        with hub.engine.begin() as conn:
            conn.execute(
                sa.update(api_tokens)
                .where(api_tokens.c.id == row.token_id)
                .values(last_used_at=now)
            )
    return TokenUser(_account(row), int(row.token_org), str(row.token_name))
