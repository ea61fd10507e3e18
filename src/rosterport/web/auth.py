"""Who is calling: a signed-in browser (cookie + CSRF token) or an API token (bearer).

Organization data is reached only through `Caller.org`, which answers 404 — never 403 — for
an organization the caller may not manage, so that its existence is not revealed either.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request

from rosterport.config import Network
from rosterport.errors import OrganizationNotFoundError
from rosterport.services import accounts
from rosterport.services.accounts import Account
from rosterport.services.hub import Hub
from rosterport.services.organizations import (
    Organization,
    get_org,
    list_orgs,
    org_by_id,
)
from rosterport.web.errors import HttpProblem

COOKIE = "rosterport_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller and the organizations it may reach."""

    account: Account
    only_org: int | None  # an API token reaches its own organization only
    csrf: str | None  # set for browser sessions
    via: str  # "web" (session cookie) or "api" (token)

    @property
    def is_platform(self) -> bool:
        return self.account.is_platform and self.only_org is None

    @property
    def who(self) -> str:
        """How versions record who committed them."""
        return self.account.email

    def may_reach(self, org: Organization) -> bool:
        if self.only_org is not None:
            return org.id == self.only_org
        return self.account.may_manage(org)

    def org(self, hub: Hub, slug: str) -> Organization:
        """The organization called `slug`, if this caller may manage it; 404 otherwise."""
        try:
            org = get_org(hub, slug)
        except OrganizationNotFoundError:
            org = None
        if org is None or not self.may_reach(org):
            raise HttpProblem(404, "not_found", f"no organization {slug!r}")
        return org

    def orgs(self, hub: Hub) -> list[Organization]:
        """The organizations this caller may manage."""
        if self.only_org is not None:
            return [org_by_id(hub, self.only_org)]
        return [o for o in list_orgs(hub) if self.account.may_manage(o)]

    def require_platform(self) -> None:
        if not self.is_platform:
            raise HttpProblem(
                403, "forbidden", "only a platform administrator may do this; ask one to do it"
            )


def caller_of(request: Request, hub: Hub) -> Caller | None:
    """The caller of a request, or None when it carries no valid credentials."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.token_user(hub, header[7:].strip())
        if user is None:
            return None
        return Caller(user.account, user.org_id, None, "api")
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    signed = accounts.signed_in(hub, token)
    if signed is None:
        return None
    return Caller(signed.account, None, signed.csrf, "web")


def check_csrf(caller: Caller, presented: str | None) -> None:
    """A browser session's state-changing request must carry its CSRF token."""
    if caller.csrf is None:
        return  # bearer tokens are not sent automatically by browsers: no CSRF risk
    if not presented or not hmac.compare_digest(presented, caller.csrf):
        raise HttpProblem(
            403,
            "csrf_failed",
            "this form has expired or did not come from rosterport; reload the page and try again",
        )


def client_address(request: Request, trusted: Sequence[Network]) -> str:
    """The address a request comes from, as the sign-in rate limit counts it.

    The direct peer, unless it is one of the `trusted` reverse proxies: then the rightmost
    address of X-Forwarded-For that is not a trusted proxy (each proxy appends the address
    it was reached from, so what is left of it may be made up by the client). A client that
    reaches rosterport directly cannot choose its address by sending the header.
    """
    peer = request.client.host if request.client else "unknown"
    if not _is_trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    if not trusted:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.5 is 10.0.0.5
    return any(ip in network for network in trusted)
