"""Forgotten passwords: a one-time reset, by a link e-mailed to the account's address (when
an SMTP server is configured) or by a code an operator creates with
`rosterport admin reset-password` and hands over.

A reset is a random token (256 bits, for the link) and a code (12 characters of a 32-letter
alphabet, 60 bits, for typing with the e-mail address); the database keeps only their sha256
digests. A reset works once, for RESET_MINUTES from the injected clock; asking for a new one
or changing the password makes the older one stop working, and a reset ends every session of
the account. Requests and failed redemptions are rate-limited in the failed-sign-in table
(`sign_in_limits`, with keys of their own), and a request answers the same whether or not the
address has an account: the caller gets a reset to send only when there is one.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from rosterport.crypto import token_digest
from rosterport.errors import InputError, NotFoundError, RateLimitedError
from rosterport.services.accounts import check_password_rules, hash_password
from rosterport.services.hub import Hub
from rosterport.services.sign_in_limits import Place, give_back, take_place
from rosterport.store import password_resets as store

RESET_MINUTES = 30
RESET_PATH = "/reset-password"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed
CODE_LENGTH = 12
_REQUEST, _REDEEM = "reset-request:", "reset:"  # keys of their own in the limits table


class ResetRefusedError(InputError):
    """A reset link or code that is unknown, used, expired or replaced (not saying which)."""


@dataclass(frozen=True, slots=True)
class Issued:
    """A new reset, to hand to the account's owner: shown or sent once, never stored."""

    email: str
    token: str
    code: str
    expires_at: datetime

    @property
    def path(self) -> str:
        """The reset page's address with the token (put after the instance's base URL)."""
        return f"{RESET_PATH}?token={self.token}"


def _code_digest(account_id: int, code: str) -> str:
    return token_digest(f"{account_id}:{normal_code(code)}")


def normal_code(code: str) -> str:
    """A code as typed ("abcd-efgh jkmn") in the form it was made ("ABCDEFGHJKMN")."""
    return "".join(c for c in code.upper() if c.isalnum())


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """A code in groups of four, as it is printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _normal_email(email: str) -> str:
    return email.strip().lower()


def _issue(hub: Hub, account_id: int | None, email: str) -> Issued:
    """A new reset; stored (replacing the account's earlier one) only for an account. For
    an address without one the same secrets are made and dropped, so both take alike."""
    token, code = secrets.token_urlsafe(32), _new_code()
    now = hub.clock()
    expires = now + timedelta(minutes=RESET_MINUTES)
    token_hash = token_digest(token)
    code_hash = _code_digest(account_id or 0, code)
    if account_id is not None:
        with hub.engine.begin() as conn:
            store.replace_reset(
                conn,
                account_id,
                token_hash=token_hash,
                code_hash=code_hash,
                now=now,
                expires_at=expires,
            )
    return Issued(email, token, code, expires)


def issue_reset(hub: Hub, email: str) -> Issued:
    """An operator's reset for the account of `email` (`rosterport admin reset-password`)."""
    who = _normal_email(email)
    with hub.engine.connect() as conn:
        account_id = store.account_id_of(conn, who)
    if account_id is None:
        raise NotFoundError(f"there is no account for {who}; see `rosterport admin create`")
    return _issue(hub, account_id, who)


def request_reset(hub: Hub, email: str, *, address: str, limit: int) -> Issued | None:
    """A reset asked for on the sign-in page: one to e-mail when `email` has an account,
    None otherwise (the page answers alike). More than `limit` requests for the address or
    from the client within 15 minutes are refused (RateLimitedError)."""
    who = _normal_email(email)
    place = take_place(hub, _REQUEST + who, _REQUEST + address, limit=limit)
    if place.refused:
        raise RateLimitedError(
            "too many password resets asked for this address or from this computer; "
            "wait 15 minutes and try again"
        )
    with hub.engine.connect() as conn:
        account_id = store.account_id_of(conn, who)
    issued = _issue(hub, account_id, who)
    return issued if account_id is not None else None


def _refused() -> ResetRefusedError:
    return ResetRefusedError(
        "this reset link or code does not work: it was used already, it has expired "
        f"(after {RESET_MINUTES} minutes), or a newer one was asked for; ask for a new one"
    )


def _limited(hub: Hub, who: str, address: str, limit: int) -> Place:
    place = take_place(hub, _REDEEM + who, _REDEEM + address, limit=limit)
    if place.refused:
        raise RateLimitedError(
            "too many wrong reset links or codes for this account or from this computer; "
            "wait 15 minutes and try again"
        )
    return place


def _finish(hub: Hub, reset: store.ResetRow | None, password: str, place: Place) -> str:
    """Use `reset` up and set the password; the e-mail address of its account."""
    if reset is None or reset.expires_at <= hub.clock():
        raise _refused()  # the attempt's place stays: a failure counted against the limit
    password_hash = hash_password(password)
    with hub.engine.begin() as conn:
        if not store.take_reset(conn, reset.id):
            raise _refused()  # another request used it a moment ago
        store.set_password(conn, reset.account_id, password_hash)
    give_back(hub, place)
    return reset.email


def reset_with_token(hub: Hub, token: str, password: str, *, address: str, limit: int) -> str:
    """Set a new password with a reset link's token; the account's e-mail address."""
    check_password_rules(password)
    place = _limited(hub, "link@" + address, address, limit)  # per client: no shared key
    with hub.engine.connect() as conn:
        reset = store.reset_by_token(conn, token_digest(token))
    return _finish(hub, reset, password, place)


def reset_with_code(
    hub: Hub, email: str, code: str, password: str, *, address: str, limit: int
) -> str:
    """Set a new password with the e-mail address and a reset code; the address."""
    check_password_rules(password)
    who = _normal_email(email)
    place = _limited(hub, who, address, limit)
    with hub.engine.connect() as conn:
        account_id = store.account_id_of(conn, who)
        reset = None if account_id is None else store.reset_of_account(conn, account_id)
    if reset is not None and not hmac.compare_digest(
        reset.code_hash, _code_digest(reset.account_id, code)
    ):
        reset = None
    return _finish(hub, reset, password, place)
