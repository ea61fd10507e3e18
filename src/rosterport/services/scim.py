"""SCIM 2.0 provisioning (spec/accounts-and-vault.md, "SCIM 2.0 provisioning";
docs/accounts.md): each version in production brings every enabled SCIM application's
users to the directory's state.

A SCIM application names the application's SCIM base URL and bearer token (encrypted at
rest with the data key, never shown again), the roles and schools it receives. A push is a
job (`PUSH`): domain/scim.py says what to create, replace (changed, suspended: `active:
false`, reactivated) and delete; the requests go through scim2-client, in batches, each
batch's outcome saved in `scim_users` at once so a retried push resumes where the last one
stopped. Before a create, the application is asked for a user of that `externalId` (one
filter per user, or one paged listing when many are created) and an existing one is
adopted: a lost response never makes a second user. When the server's
ServiceProviderConfig offers `/Bulk`, each batch is one bulk request.

A failure raises, so the queue retries with back-off; every attempt updates the push's row
of the `deliveries` ledger (consumer `scim:<id>`, its counts as the payload, the SCIM error
detail on failure, never the token). The push itself, the one part that speaks SCIM over
HTTP, is `services/scim_push.py` (scim2-client and its models take most of a second to
import: only a process that pushes pays it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from rosterport.domain.directory import ROLES
from rosterport.errors import InputError, NotFoundError, RosterportError
from rosterport.services import roster_store
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import jobs as queue
from rosterport.store import ledger as ledger_store
from rosterport.store import scim as store
from rosterport.store import sftp_exports as versions_store

PUSH = "scim-push"  # job kind
CONSUMER = "scim"  # ledger consumer prefix: scim:<app id>
MAX_ATTEMPTS = 8  # 2 s, 4 s, … 128 s between attempts, as the SFTP exports'


class ScimPushFailed(RosterportError):
    """The application refused or could not be reached; the message says which, in plain
    words, without the token."""


@dataclass(frozen=True, slots=True)
class ScimSettings:
    roles: tuple[str, ...] = ()  # () is every role
    schools: tuple[str, ...] = ()  # sourcedIds or SIS ids; () is every school
    groups: bool = False  # one group per class (not built yet: see docs/accounts.md)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScimSettings:
        return cls(
            roles=tuple(str(r) for r in data.get("roles", ())),
            schools=tuple(str(s) for s in data.get("schools", ())),
            groups=bool(data.get("groups", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {"roles": list(self.roles), "schools": list(self.schools), "groups": self.groups}

    def checked(self) -> ScimSettings:
        for role in self.roles:
            if role not in ROLES:
                raise InputError(f"role {role!r}: choose among {', '.join(ROLES)}")
        if self.groups:
            raise InputError("groups are not sent yet: leave groups off (users only) for now")
        return self


@dataclass(frozen=True, slots=True)
class ScimApp:
    id: int
    org_id: int
    name: str
    base_url: str
    enabled: bool
    settings: ScimSettings
    created_at: datetime
    last_version_id: int | None
    last_pushed_at: datetime | None
    last_counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def consumer(self) -> str:
        """Its name in the delivery ledger."""
        return f"{CONSUMER}:{self.id}"

    def to_json(self) -> dict[str, Any]:
        """Everything but the token (never shown again once given)."""
        return {
            "id": self.id,
            "name": self.name,
            "base_url": self.base_url,
            "enabled": self.enabled,
            **self.settings.to_json(),
            "created_at": self.created_at.isoformat(),
            "last_version_id": self.last_version_id,
            "last_pushed_at": (
                None if self.last_pushed_at is None else self.last_pushed_at.isoformat()
            ),
            "last_counts": dict(self.last_counts),
        }


def _from_row(row: sa.Row[Any]) -> ScimApp:
    raw = dict(row.settings or {})
    counts = raw.pop("_counts", {})
    return ScimApp(
        id=int(row.id),
        org_id=int(row.org_id),
        name=str(row.name),
        base_url=str(row.base_url),
        enabled=bool(row.enabled),
        settings=ScimSettings.from_json(raw),
        created_at=row.created_at,
        last_version_id=row.last_version_id,
        last_pushed_at=row.last_pushed_at,
        last_counts=counts,
    )


def _checked_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"base URL {url!r}: give the application's SCIM base URL, e.g. "
            "https://app.example.org/scim/v2"
        )
    return url.rstrip("/") + "/"


def _checked_token(token: str) -> str:
    token = token.strip()
    if not token or any(c.isspace() for c in token):
        raise InputError("give the application's bearer token (one line, no spaces)")
    return token


def add_app(
    hub: Hub,
    org: Organization,
    *,
    name: str,
    base_url: str,
    token: str,
    settings: ScimSettings | None = None,
) -> ScimApp:
    """A new SCIM application of the gallery (the token encrypted at rest)."""
    url = _checked_url(base_url)
    chosen = (settings or ScimSettings()).checked()
    sealed = hub.snapshots.box.encrypt(_checked_token(token).encode())
    with hub.engine.begin() as conn:
        app_id = store.insert_app(
            conn,
            org_id=org.id,
            name=(name.strip() or urlsplit(url).netloc)[:100],
            base_url=url,
            secret=sealed,
            settings=chosen.to_json(),
            created_at=hub.clock(),
        )
    return app_by_id(hub, app_id)


def update_app(
    hub: Hub,
    app: ScimApp,
    *,
    name: str | None = None,
    base_url: str | None = None,
    token: str | None = None,
    settings: ScimSettings | None = None,
    enabled: bool | None = None,
) -> ScimApp:
    values: dict[str, Any] = {}
    if name is not None and name.strip():
        values["name"] = name.strip()[:100]
    if base_url is not None:
        values["base_url"] = _checked_url(base_url)
    if token:
        values["secret"] = hub.snapshots.box.encrypt(_checked_token(token).encode())
    if settings is not None:
        values["settings"] = {**settings.checked().to_json(), "_counts": dict(app.last_counts)}
    if enabled is not None:
        values["enabled"] = enabled
    if values:
        with hub.engine.begin() as conn:
            store.update_app(conn, app.id, **values)
    return app_by_id(hub, app.id)


def app_by_id(hub: Hub, app_id: int) -> ScimApp:
    with hub.engine.connect() as conn:
        row = store.app_row(conn, app_id)
    if row is None:
        raise NotFoundError(f"there is no SCIM application {app_id}")
    return _from_row(row)


def get_app(hub: Hub, org: Organization, app_id: int) -> ScimApp:
    """An application of the organization (NotFoundError for another organization's)."""
    found = app_by_id(hub, app_id)
    if found.org_id != org.id:
        raise NotFoundError(f"{org.slug} has no SCIM application {app_id}")
    return found


def list_apps(hub: Hub, org: Organization) -> list[ScimApp]:
    with hub.engine.connect() as conn:
        return [_from_row(r) for r in store.app_rows(conn, org_id=org.id)]


def remove_app(hub: Hub, app: ScimApp) -> None:
    """Forget the application (what it holds stays on its side)."""
    with hub.engine.begin() as conn:
        store.delete_app(conn, app.id)


def bearer_token(hub: Hub, app: ScimApp) -> str:
    with hub.engine.connect() as conn:
        row = store.app_row(conn, app.id)
    if row is None:
        raise NotFoundError(f"there is no SCIM application {app.id}")
    return hub.snapshots.box.decrypt(row.secret).decode()


# -- scheduling ------------------------------------------------------------------------------


def enqueue(conn: sa.Connection, app_id: int, *, now: datetime, version_id: int | None) -> int:
    """A push job for the application, in the caller's transaction."""
    return queue.enqueue(
        conn,
        PUSH,
        {"app_id": app_id, "version_id": version_id},
        now=now,
        max_attempts=MAX_ATTEMPTS,
    )


def run_now(hub: Hub, app: ScimApp) -> int:
    """Queue one push of the application now (the job's id)."""
    with hub.engine.begin() as conn:
        return enqueue(conn, app.id, now=hub.clock(), version_id=None)


def on_in_production(hub: Hub, conn: sa.Connection, version_id: int) -> None:
    """Propagation's hook: `version_id` is in production (its accounts are in the
    directory); queue a push for every enabled SCIM application of its organization when
    its dataset is the roster source (in the caller's transaction)."""
    found = versions_store.org_of_version(conn, version_id)
    if found is None:
        return
    org_id, dataset_id = found
    if roster_store.roster_source(conn, org_id) != dataset_id:
        return
    for row in store.app_rows(conn, org_id=org_id):
        if bool(row.enabled):
            enqueue(conn, int(row.id), now=hub.clock(), version_id=version_id)


def on_accounts_deleted(hub: Hub, conn: sa.Connection, org_ids: Sequence[int]) -> None:
    """The grace-period chore deleted accounts of these organizations (no new version):
    queue a push for each of their enabled SCIM applications (in the caller's transaction)."""
    for org_id in org_ids:
        for row in store.app_rows(conn, org_id=org_id):
            if bool(row.enabled):
                enqueue(conn, int(row.id), now=hub.clock(), version_id=None)


def ledger(hub: Hub, app: ScimApp, version_id: int) -> dict[str, Any] | None:
    """The application's row of the delivery ledger for a version."""
    with hub.engine.connect() as conn:
        row = ledger_store.one(conn, version_id, app.consumer)
    return (
        None
        if row is None
        else {
            "state": row.state,
            "attempts": row.attempts,
            "error": row.last_error,
        }
    )


def counts_of(hub: Hub, app: ScimApp, version_id: int) -> dict[str, int] | None:
    with hub.engine.connect() as conn:
        payload = ledger_store.payload_of(conn, version_id, app.consumer)
    return None if payload is None else dict(json.loads(payload))


__all__: Sequence[str] = [
    "PUSH",
    "ScimApp",
    "ScimPushFailed",
    "ScimSettings",
    "add_app",
    "get_app",
    "list_apps",
    "on_in_production",
    "remove_app",
    "run_now",
]
