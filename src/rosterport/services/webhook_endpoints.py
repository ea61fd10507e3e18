"""Webhook endpoints of API applications (spec/roster-delivery.md §4): registering,
listing, removing, enabling one, rotating its secret, and which URLs it may have.
Delivering to them is `services/webhooks.py`.

- An endpoint: URL (http or https), the event types it wants (None: every version), a secret
  `whsec_…` shown once and stored encrypted with the instance key (signing needs it).
  Rotation makes a new secret; the old one keeps signing for `OVERLAP` (24 hours), so the
  `webhook-signature` header carries both signatures meanwhile.
- Targets resolving to loopback, private, link-local or otherwise non-public addresses are
  refused at registration (`check_url`) and again at each delivery (after resolving the
  name), unless the operator sets `ROSTERPORT_WEBHOOK_ALLOW_PRIVATE=1`.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import sqlalchemy as sa

from rosterport.domain import events as domain
from rosterport.errors import InputError, NotFoundError
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import apps as app_store
from rosterport.store import webhooks as store
from rosterport.store.engine import immediate
from rosterport.store.webhooks import EndpointRow

OVERLAP: Final = timedelta(hours=24)


def new_secret() -> str:
    """A new signing secret, `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# -- endpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An endpoint as people see it (never its secret)."""

    id: int
    client_id: str
    url: str
    types: tuple[str, ...] | None
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    rotating_until: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client_id": self.client_id,
            "url": self.url,
            "types": None if self.types is None else list(self.types),
            "created_at": self.created_at.isoformat(),
            "disabled_at": self.disabled_at and self.disabled_at.isoformat(),
            "disabled_reason": self.disabled_reason,
            "old_secret_valid_until": self.rotating_until and self.rotating_until.isoformat(),
        }


def _shown(hub: Hub, row: EndpointRow) -> Endpoint:
    rotating = row.old_secret_until
    if rotating is not None and rotating <= hub.clock():
        rotating = None
    return Endpoint(
        row.id,
        row.client_id,
        row.url,
        row.types,
        row.created_at,
        row.disabled_at,
        row.disabled_reason,
        rotating,
    )


def parse_types(given: Sequence[str] | None) -> tuple[str, ...] | None:
    """Event types by name (`users.updated`, `roster.loaded`); None or empty: every version."""
    names = [t.strip() for item in given or () for t in item.split(",") if t.strip()]
    if not names:
        return None
    kinds = (domain.CREATED, domain.UPDATED, domain.DELETED)
    known = {f"{c}.{k}" for c in domain.COLLECTIONS for k in kinds} | {domain.LOADED}
    for name in names:
        if name not in known:
            raise InputError(
                f"unknown event type {name!r}; types are <collection>.created|updated|deleted "
                f"(collections {', '.join(domain.COLLECTIONS)}) and {domain.LOADED}"
            )
    return tuple(dict.fromkeys(names))


def _app(conn: sa.Connection, org: Organization, client_id: str) -> app_store.AppRow:
    app = app_store.app_by_client_id(conn, client_id)
    if app is None or app.org_id != org.id or app.revoked_at is not None:
        raise NotFoundError(f"{org.slug} has no active application {client_id!r}")
    return app


def add(
    hub: Hub, org: Organization, client_id: str, url: str, types: Sequence[str] | None = None
) -> tuple[Endpoint, str]:
    """Register an endpoint; (the endpoint, its secret — shown only now)."""
    check_url(url, allow_private=hub.webhook_allow_private)
    chosen = parse_types(types)
    secret = new_secret()
    with immediate(hub.engine).begin() as conn:
        app = _app(conn, org, client_id)
        made = store.insert(
            conn,
            app_id=app.id,
            url=url,
            types=chosen,
            secret_sealed=hub.snapshots.box.encrypt(secret.encode()),
            now=hub.clock(),
        )
        row = store.by_id(conn, made)
    assert row is not None
    return _shown(hub, row), secret


def list_endpoints(hub: Hub, org: Organization, client_id: str) -> list[Endpoint]:
    """The application's endpoints (not the removed ones)."""
    with hub.engine.connect() as conn:
        app = _app(conn, org, client_id)
        return [_shown(hub, r) for r in store.of_app(conn, app.id)]


def _endpoint(
    conn: sa.Connection, org: Organization, client_id: str, endpoint_id: int
) -> EndpointRow:
    row = store.by_id(conn, endpoint_id)
    if row is None or row.org_id != org.id or row.client_id != client_id or row.removed_at:
        raise NotFoundError(f"application {client_id!r} has no webhook endpoint {endpoint_id}")
    return row


def remove(hub: Hub, org: Organization, client_id: str, endpoint_id: int) -> None:
    """Remove an endpoint: nothing more is delivered to it (its ledger rows stay)."""
    with immediate(hub.engine).begin() as conn:
        _endpoint(conn, org, client_id, endpoint_id)
        store.update(conn, endpoint_id, removed_at=hub.clock())


def rotate(hub: Hub, org: Organization, client_id: str, endpoint_id: int) -> tuple[Endpoint, str]:
    """A new secret (shown only now); the current one keeps signing for 24 hours."""
    secret = new_secret()
    now = hub.clock()
    with immediate(hub.engine).begin() as conn:
        row = _endpoint(conn, org, client_id, endpoint_id)
        store.update(
            conn,
            endpoint_id,
            secret_sealed=hub.snapshots.box.encrypt(secret.encode()),
            old_secret_sealed=row.secret_sealed,
            old_secret_until=now + OVERLAP,
        )
        updated = store.by_id(conn, endpoint_id)
    assert updated is not None
    return _shown(hub, updated), secret


def enable(hub: Hub, org: Organization, client_id: str, endpoint_id: int) -> None:
    """Enable an endpoint disabled by a 410 again."""
    with immediate(hub.engine).begin() as conn:
        _endpoint(conn, org, client_id, endpoint_id)
        store.update(conn, endpoint_id, disabled_at=None, disabled_reason=None)


# -- addresses ---------------------------------------------------------------------------------


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url(url: str, *, allow_private: bool, resolve: bool = False) -> None:
    """InputError unless `url` is http(s) with a host that is (or resolves only to) public
    addresses; `resolve`: the name must resolve (at delivery), else a name that does not
    resolve yet is accepted (at registration)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url!r} is not an http:// or https:// address")
    if allow_private:
        return
    host = parts.hostname
    try:
        addresses = {str(ipaddress.ip_address(host))}
    except ValueError:
        try:
            found = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except socket.gaierror:
            if resolve:
                raise InputError(f"the host of {url!r} does not resolve") from None
            return
        addresses = {str(info[4][0]) for info in found}
    private = sorted(a for a in addresses if not _public(a))
    if private:
        raise InputError(
            f"{url!r} leads to a loopback, private or link-local address ({', '.join(private)}); "
            "webhooks go to public addresses only (an operator may allow others with "
            "ROSTERPORT_WEBHOOK_ALLOW_PRIVATE=1)"
        )
