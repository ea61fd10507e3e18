"""Sign-in to the hosted SFTP server: the account's password (argon2id hash) or one of its
authorized public keys.

- Password guessing: once `ROSTERPORT_LOGIN_ATTEMPTS` password sign-ins failed for one user
  name, or from one client address, within 15 minutes, every further password attempt is
  refused, the right one too, until the window has passed. Attempts are counted atomically
  in the `login_failures` table before the password is checked
  (`services/sign_in_limits.py`), so concurrent attempts cannot all get through; each
  failure is logged as a warning with the user name and the address, never the password.
- No user enumeration: an unknown user, or one without a password, is checked against a
  stand-in argon2 hash, so it takes as long as a wrong password and fails the same way.
"""

from __future__ import annotations

import asyncio
import logging

import asyncssh

from rosterport.services.hosted_accounts import authorized_keys, hosted_account, sign_in_hosted
from rosterport.services.hub import Hub

log = logging.getLogger(__name__)


class AccountServer(asyncssh.SSHServer):
    """Signs in hosted accounts against their integration (password or authorized keys)."""

    def __init__(self, hub: Hub, *, login_attempts: int) -> None:
        self._hub = hub
        self._limit = login_attempts
        self._conn: asyncssh.SSHServerConnection | None = None
        self._address = "unknown"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        peer = conn.get_extra_info("peername")
        if peer:
            self._address = str(peer[0])

    async def begin_auth(self, username: str) -> bool:
        account = await asyncio.to_thread(hosted_account, self._hub, username)
        if account is not None and self._conn is not None:
            keys = await asyncio.to_thread(authorized_keys, self._hub, account)
            if keys:
                self._conn.set_authorized_keys(asyncssh.import_authorized_keys(keys))
        return True  # unknown users are asked to authenticate, and fail like wrong passwords

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        outcome = await asyncio.to_thread(
            sign_in_hosted,
            self._hub,
            username,
            password,
            address=self._address,
            limit=self._limit,
        )
        if outcome.locked_out:
            log.warning(
                "SFTP sign-in refused for user %r from %s: %d failed sign-ins for this user "
                "or address in 15 minutes; password sign-ins stay refused until the window "
                "has passed",
                username,
                self._address,
                outcome.failures,
            )
        elif not outcome.signed_in:
            log.warning(
                "SFTP sign-in failed for user %r from %s: wrong password or unknown user "
                "(%d of %d failures allowed in 15 minutes)",
                username,
                self._address,
                outcome.failures,
                self._limit,
            )
        return outcome.signed_in
