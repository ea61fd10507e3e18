"""OneRoster API applications and OAuth 2.0 client credentials (spec/roster-delivery.md §2).

An application belongs to one organization: name, client id, client secret (shown once,
stored as a sha256 digest of 256 random bits), scopes, optionally a subset of schools (then
it sees only those schools' data), created / last used, revoked. `issue_token` is the
client-credentials grant: a bearer token valid one hour, stored hashed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from rosterport.errors import InputError, NotFoundError
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import apps as store
from rosterport.store.apps import AppRow

SCOPE_BASE = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
CORE = SCOPE_BASE + "roster-core.readonly"  # everything but demographics
FULL = SCOPE_BASE + "roster.readonly"  # everything
DEMOGRAPHICS = SCOPE_BASE + "roster-demographics.readonly"  # demographics
SCOPES = (CORE, FULL, DEMOGRAPHICS)
TOKEN_SECONDS = 3600


class OAuthError(Exception):
    """A token request refused, with its RFC 6749 error code and HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True, slots=True)
class AppCaller:
    """An application calling the OneRoster API with a live bearer token."""

    org_id: int
    client_id: str
    scopes: tuple[str, ...]
    schools: tuple[str, ...] | None

    def may_read(self, collection: str) -> bool:
        if collection == "demographics":
            return FULL in self.scopes or DEMOGRAPHICS in self.scopes
        return FULL in self.scopes or CORE in self.scopes


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(given: Sequence[str]) -> tuple[str, ...]:
    """Scopes by full URL or by short name (`roster-core.readonly`); default: core."""
    out = []
    for name in given or (CORE,):
        full = name if name.startswith("https://") else SCOPE_BASE + name
        if full not in SCOPES:
            raise InputError(f"unknown scope {name!r}; scopes are {', '.join(SCOPES)}")
        out.append(full)
    return tuple(dict.fromkeys(out))


def create(
    hub: Hub,
    org: Organization,
    name: str,
    scopes: Sequence[str] = (),
    schools: Sequence[str] | None = None,
) -> tuple[AppRow, str]:
    """Register an application; (the application, its client secret — shown only now)."""
    if not name.strip() or len(name) > 100:
        raise InputError("an application needs a name of 1 to 100 characters")
    chosen = parse_scopes(scopes)
    client_id = secrets.token_hex(16)
    secret = secrets.token_urlsafe(32)
    with hub.engine.begin() as conn:
        store.insert_app(
            conn,
            org_id=org.id,
            name=name.strip(),
            client_id=client_id,
            secret_hash=_digest(secret),
            scopes=chosen,
            schools=None if not schools else tuple(schools),
            now=hub.clock(),
        )
        made = store.app_by_client_id(conn, client_id)
    assert made is not None
    return made, secret


def list_apps(hub: Hub, org: Organization) -> list[AppRow]:
    with hub.engine.connect() as conn:
        return store.apps_of(conn, org.id)


def revoke(hub: Hub, org: Organization, client_id: str) -> None:
    """Revoke an application: its tokens stop working at once."""
    with hub.engine.begin() as conn:
        if not store.revoke_app(conn, org.id, client_id, hub.clock()):
            raise NotFoundError(f"{org.slug} has no active application {client_id!r}")


def issue_token(
    hub: Hub, client_id: str, client_secret: str, grant_type: str | None, scope: str | None
) -> tuple[str, tuple[str, ...]]:
    """The client-credentials grant: (bearer token valid TOKEN_SECONDS, granted scopes)."""
    with hub.engine.connect() as conn:
        app = store.app_by_client_id(conn, client_id)
    if (
        app is None
        or app.revoked_at is not None
        or not hmac.compare_digest(app.secret_hash, _digest(client_secret))
    ):
        raise OAuthError("invalid_client", "unknown client or wrong secret", 401)
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
    asked = tuple(scope.split()) if scope and scope.strip() else app.scopes
    refused = [s for s in asked if s not in app.scopes]
    if refused:
        raise OAuthError("invalid_scope", f"not granted to this application: {' '.join(refused)}")
    token = secrets.token_urlsafe(32)
    now = hub.clock()
    with hub.engine.begin() as conn:
        store.insert_token(
            conn,
            app_id=app.id,
            token_hash=_digest(token),
            scopes=asked,
            now=now,
            expires_at=now + timedelta(seconds=TOKEN_SECONDS),
        )
    return token, asked


def caller_of_token(hub: Hub, token: str) -> AppCaller | None:
    """The application of a live bearer token (None: unknown, expired, revoked)."""
    with hub.engine.connect() as conn:
        found = store.token_app(conn, _digest(token), hub.clock())
    if found is None:
        return None
    app, granted = found
    return AppCaller(app.org_id, app.client_id, granted, app.schools)
