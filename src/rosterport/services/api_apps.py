"""OneRoster API applications and OAuth 2.0 client credentials (spec/roster-delivery.md §2).

An application belongs to one organization: name, client id, client secret (shown once,
stored as a sha256 digest of 256 random bits, which OAuth 2.0 checks; and encrypted with the
instance key, because OAuth 1.0a's HMAC signatures need the shared secret itself), scopes,
optionally a subset of schools (then it sees only those schools' data), created / last
used, revoked. `issue_token` is the
client-credentials grant: a bearer token valid one hour, stored hashed.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from rosterport.crypto import token_digest
from rosterport.errors import InputError, NotFoundError, OAuthError
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import apps as store
from rosterport.store.apps import AppRow

SCOPE_BASE = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
CORE = SCOPE_BASE + "roster-core.readonly"  # everything but demographics
FULL = SCOPE_BASE + "roster.readonly"  # everything
DEMOGRAPHICS = SCOPE_BASE + "roster-demographics.readonly"  # demographics
SCOPES = (CORE, FULL, DEMOGRAPHICS)
VAULT_READ = "vault.read"  # password-vault reads: every vault app, or `vault.read:<app id>`
TOKEN_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class AppCaller:
    """An application calling the OneRoster API with a live bearer token."""

    org_id: int
    client_id: str
    scopes: tuple[str, ...]
    schools: tuple[str, ...] | None
    app_id: int = 0

    def may_read(self, collection: str) -> bool:
        if collection == "demographics":
            return FULL in self.scopes or DEMOGRAPHICS in self.scopes
        return FULL in self.scopes or CORE in self.scopes


def parse_scopes(given: Sequence[str]) -> tuple[str, ...]:
    """Scopes by full URL or by short name (`roster-core.readonly`); default: core."""
    out = []
    for name in given or (CORE,):
        if name == VAULT_READ or name.startswith(VAULT_READ + ":"):  # services/vault.py
            out.append(name)
            continue
        full = name if name.startswith("https://") else SCOPE_BASE + name
        if full not in SCOPES:
            raise InputError(
                f"unknown scope {name!r}; scopes are {', '.join(SCOPES)}, "
                f"{VAULT_READ} and {VAULT_READ}:<application id>"
            )
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
            secret_hash=token_digest(secret),
            secret_sealed=hub.snapshots.box.encrypt(secret.encode()),
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
        or not hmac.compare_digest(app.secret_hash, token_digest(client_secret))
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
            token_hash=token_digest(token),
            scopes=asked,
            now=now,
            expires_at=now + timedelta(seconds=TOKEN_SECONDS),
        )
    return token, asked


def caller_of_token(hub: Hub, token: str) -> AppCaller | None:
    """The application of a live bearer token (None: unknown, expired, revoked)."""
    with hub.engine.connect() as conn:
        found = store.token_app(conn, token_digest(token), hub.clock())
    if found is None:
        return None
    app, granted = found
    return AppCaller(app.org_id, app.client_id, granted, app.schools, app.id)


SIGNED_WINDOW = timedelta(minutes=10)  # OAuth 1.0a: timestamps within ±10 minutes


def live_app(hub: Hub, client_id: str) -> AppRow | None:
    """The application of a client id, unless unknown or revoked."""
    with hub.engine.connect() as conn:
        app = store.app_by_client_id(conn, client_id)
    return None if app is None or app.revoked_at is not None else app


def fresh_nonce(hub: Hub, client_id: str, nonce: str, timestamp: int) -> bool:
    """OAuth 1.0a: the timestamp is within ±10 minutes of now and the nonce was not used
    before with it (then it is recorded)."""
    now = hub.clock()
    if abs(now.timestamp() - timestamp) > SIGNED_WINDOW.total_seconds():
        return False
    with hub.engine.begin() as conn:
        return store.use_nonce(
            conn,
            client_id,
            nonce,
            timestamp=timestamp,
            now=now,
            keep_since=now - 3 * SIGNED_WINDOW,
        )


def signing_secret(hub: Hub, client_id: str) -> str | None:
    """The client secret, for verifying an OAuth 1.0a signature (None: no live app)."""
    with hub.engine.connect() as conn:
        sealed = store.sealed_secret(conn, client_id)
    return None if sealed is None else hub.snapshots.box.decrypt(sealed).decode()


def signed_caller(hub: Hub, app: AppRow) -> AppCaller:
    """The caller of a verified OAuth 1.0a request: the application with all its scopes."""
    with hub.engine.begin() as conn:
        store.touch_app(conn, app.id, hub.clock())
    return AppCaller(app.org_id, app.client_id, app.scopes, app.schools, app.id)


def retry_after(hub: Hub, caller: AppCaller, per_minute: int) -> int | None:
    """Count a request of the application; the seconds to wait when it is over `per_minute`
    requests in this minute (None: go ahead; `per_minute` 0: no limit)."""
    if per_minute <= 0:
        return None
    now = hub.clock().timestamp()
    window = int(now // 60)
    with hub.engine.begin() as conn:
        made = store.count_request(conn, caller.app_id, window)
    if made <= per_minute:
        return None
    return max(1, int((window + 1) * 60 - now))
