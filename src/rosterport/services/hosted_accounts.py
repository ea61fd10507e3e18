"""Hosted SFTP accounts: accounts on rosterport's own SFTP server (a password and/or
authorized public keys) that an integrator drops files into, each jailed in its folder.

Here: creating an account (an integration of kind `hosted`, `services/integrations.py`),
replacing its password or keys, what the SFTP server asks when a client signs in (the
account, its keys, whether a password is right). Passwords are kept as argon2id hashes only.
A password sign-in (`sign_in_hosted`) is limited like the web sign-in
(`services/sign_in_limits.py`) and costs the same argon2 work whether or not the account
exists.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from typing import Any

import asyncssh
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rosterport.errors import InputError
from rosterport.services.hub import Hub
from rosterport.services.integrations import (
    DEFAULT_MODEL,
    HOSTED,
    Integration,
    IntegrationSettings,
    check_model,
    from_row,
    get_integration,
    set_columns,
)
from rosterport.services.organizations import Organization
from rosterport.services.sign_in_limits import give_back, take_place
from rosterport.store import integrations as store
from rosterport.store.engine import immediate

MIN_PASSWORD = 10
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
_hasher = PasswordHasher()


def checked_public_keys(text: str) -> str:
    """Authorized keys (OpenSSH format, one a line), or InputError saying what is wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError("the public key file is empty; give a key like 'ssh-ed25519 AAAA…'")
    try:
        asyncssh.import_authorized_keys("\n".join(lines))
    except (ValueError, asyncssh.KeyImportError) as error:
        raise InputError(
            f"the public key is not an OpenSSH public key ({error}); give the .pub file "
            "(a line like 'ssh-ed25519 AAAA… comment'), not the private key"
        ) from None
    return "\n".join(lines) + "\n"


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the SFTP password is too short ({len(password)} characters); use at least "
            f"{MIN_PASSWORD}"
        )
    return password


def add_hosted_account(
    hub: Hub,
    org: Organization,
    *,
    login: str,
    password: str | None = None,
    public_keys: str | None = None,
    model: str = DEFAULT_MODEL,
    settings: IntegrationSettings | None = None,
) -> Integration:
    """A new account on the hosted SFTP server, jailed in its own folder."""
    if not _LOGIN.match(login):
        raise InputError(
            f"SFTP user name {login!r} must be 2–63 characters of a-z, 0-9, '.', '_' and '-', "
            "starting with a letter or digit (e.g. springfield-sis)"
        )
    if password is None and public_keys is None:
        raise InputError("give the account a password or a public key")
    check_model(model)
    values = {
        "password_hash": _hasher.hash(_checked_password(password)) if password else None,
        "authorized_keys": checked_public_keys(public_keys) if public_keys else None,
    }
    with immediate(hub.engine).begin() as conn:
        if store.login_taken(conn, login):
            raise InputError(f"the SFTP user name {login!r} is taken; choose another")
        new_id = store.insert(
            conn,
            org.id,
            kind=HOSTED,
            name=login,
            model=model,
            login=login,
            settings=(settings or IntegrationSettings()).checked().to_json(),
            now=hub.clock(),
            **values,
        )
    return get_integration(hub, org, new_id)


def set_hosted_credentials(
    hub: Hub, integration: Integration, *, password: str | None, public_keys: str | None
) -> None:
    """Replace a hosted account's password and/or authorized keys (None leaves one as is)."""
    values: dict[str, Any] = {}
    if password is not None:
        values["password_hash"] = _hasher.hash(_checked_password(password))
    if public_keys is not None:
        values["authorized_keys"] = checked_public_keys(public_keys)
    set_columns(hub, integration, **values)


def hosted_account(hub: Hub, login: str) -> Integration | None:
    """The enabled hosted account called `login`, if any."""
    with hub.engine.connect() as conn:
        row = store.enabled_by_login(conn, login, kind=HOSTED)
    return None if row is None else from_row(row)


def authorized_keys(hub: Hub, integration: Integration) -> str | None:
    """The hosted account's authorized public keys (OpenSSH format), if it has any."""
    with hub.engine.connect() as conn:
        return store.authorized_keys(conn, integration.id)


def check_password(hub: Hub, login: str, password: str) -> bool:
    """Whether `password` signs in the enabled hosted account `login`. An unknown account, or
    one without a password, is checked against a stand-in hash, so that it takes as long as
    a wrong password for a real one (timing does not tell which user names exist)."""
    with hub.engine.connect() as conn:
        stored = store.password_hash(conn, login, kind=HOSTED)
    try:
        return _hasher.verify(stored or _stand_in_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _stand_in_hash() -> str:
    """An argon2id hash (same parameters as real ones) of a secret nobody knows."""
    return _hasher.hash(secrets.token_urlsafe(32))


@dataclass(frozen=True, slots=True)
class HostedSignIn:
    """How a password sign-in to a hosted account went."""

    signed_in: bool
    locked_out: bool  # refused unchecked: too many failures for this user name or address
    failures: int  # failed attempts in the window for this user name or address (this one too)


def sign_in_hosted(
    hub: Hub, login: str, password: str, *, address: str, limit: int
) -> HostedSignIn:
    """Check a password sign-in to the hosted account `login` from the client `address`.

    Once `limit` attempts failed for this user name, or from this address, within 15 minutes,
    every further attempt is refused, the right password too, until the window has passed
    (counted atomically: `services/sign_in_limits.py`).
    """
    place = take_place(hub, f"sftp:{login}", f"sftp:{address}", limit=limit)
    if place.refused:
        return HostedSignIn(signed_in=False, locked_out=True, failures=place.taken - 1)
    if check_password(hub, login, password):
        give_back(hub, place)
        return HostedSignIn(signed_in=True, locked_out=False, failures=place.taken - 1)
    return HostedSignIn(signed_in=False, locked_out=False, failures=place.taken)
