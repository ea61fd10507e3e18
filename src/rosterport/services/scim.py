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
detail on failure, never the token).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx2
import polars as pl
import sqlalchemy as sa
from scim2_client import SCIMClientException
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    BulkOperation,
    BulkRequest,
    BulkResponse,
    Error,
    ListResponse,
    Resource,
    SCIMException,
)

from rosterport.domain import scim as rules
from rosterport.domain.directory import ROLES
from rosterport.errors import InputError, NotFoundError, RosterportError
from rosterport.services import roster_store
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import directory as directory_store
from rosterport.store import jobs as queue
from rosterport.store import ledger as ledger_store
from rosterport.store import scim as store
from rosterport.store import sftp_exports as versions_store
from rosterport.store.jobs import Job

PUSH = "scim-push"  # job kind
CONSUMER = "scim"  # ledger consumer prefix: scim:<app id>
MAX_ATTEMPTS = 8  # 2 s, 4 s, … 128 s between attempts, as the SFTP exports'
BATCH = 200  # operations per batch (one bulk request, or one request each)
LIST_AT = 100  # at least this many creates: one paged listing instead of a filter each
PAGE = 500  # users per page of that listing
TIMEOUT = 30.0  # seconds per request


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


def _token(hub: Hub, app: ScimApp) -> str:
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


# -- pushing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Counts:
    created: int = 0
    adopted: int = 0  # found on the application by externalId instead of created
    replaced: int = 0
    deleted: int = 0
    failed: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "created": self.created,
            "adopted": self.adopted,
            "replaced": self.replaced,
            "deleted": self.deleted,
            "failed": self.failed,
        }


@dataclass(frozen=True, slots=True)
class _Op:
    method: str  # POST, PUT, DELETE
    sourced_id: str
    scim_id: str | None
    fingerprint: str
    attributes: Mapping[str, Any] | None


@contextmanager
def _client(app: ScimApp, token: str) -> Iterator[SyncSCIMClient]:
    http = httpx2.Client(
        base_url=app.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    try:
        client = SyncSCIMClient(http)
        client.discover()
        yield client
    finally:
        http.close()


def _plain(error: BaseException, token: str) -> str:
    """The SCIM error detail in plain words, the token blanked out wherever it shows."""
    if isinstance(error, SCIMException):
        text = f"the application answered {error.status}: {error}"
    elif isinstance(error, SCIMClientException):
        text = f"the application could not be used: {error}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text.replace(token, "[token]") if token else text


def push(hub: Hub, job: Job) -> None:
    """Job handler: bring the application's users to the directory's state."""
    app = app_by_id(hub, int(job.payload["app_id"]))
    with hub.engine.connect() as conn:
        version_id = job.payload.get("version_id") or directory_store.head(conn, app.org_id)
    if version_id is None:
        return  # no directory yet: nothing to push
    token = _token(hub, app)
    last = job.attempts >= job.max_attempts
    counts = Counts()
    try:
        with _client(app, token) as client:
            _push(hub, app, client, counts)
    except (SCIMException, SCIMClientException, httpx2.HTTPError, ScimPushFailed) as error:
        detail = _plain(error, token)
        _ledger(
            hub, app, int(version_id), "failed" if last else "retrying", counts=counts, error=detail
        )
        raise ScimPushFailed(detail) from None
    now = hub.clock()
    with hub.engine.begin() as conn:
        store.finished(conn, app.id, int(version_id), now)
        store.update_app(
            conn, app.id, settings={**app.settings.to_json(), "_counts": counts.to_json()}
        )
    _ledger(hub, app, int(version_id), "done", counts=counts, error=None)


def _ledger(
    hub: Hub, app: ScimApp, version_id: int, state: str, *, counts: Counts, error: str | None
) -> None:
    with hub.engine.begin() as conn:
        ledger_store.record(
            conn,
            version_id,
            app.consumer,
            state=state,
            now=hub.clock(),
            error=error,
            payload=json.dumps(counts.to_json()),
        )


def _push(hub: Hub, app: ScimApp, client: SyncSCIMClient, counts: Counts) -> None:
    with hub.engine.connect() as conn:
        accounts = store.accounts_frame(conn, app.org_id)
        sent = store.sent_frame(conn, app.id)
    todo = rules.plan(accounts, sent, app.settings.roles, app.settings.schools)
    del accounts, sent
    user = client.get_resource_model("User")
    if user is None:
        raise ScimPushFailed("the application does not offer SCIM Users")
    config = client.provider.config
    bulk = config is not None and config.bulk is not None and bool(config.bulk.supported)
    max_ops = BATCH
    if bulk and config is not None and config.bulk is not None and config.bulk.max_operations:
        max_ops = min(BATCH, int(config.bulk.max_operations))
    known = _server_ids(client) if todo.create.height >= LIST_AT else None
    batches: list[tuple[pl.DataFrame, str]] = [
        (todo.delete, rules.DELETE),
        (todo.replace, rules.REPLACE),
        (todo.create, rules.CREATE),
    ]
    for frame, action in batches:
        for chunk in frame.iter_slices(max_ops):
            ops = [
                _op(client, action, row, known=known, counts=counts)
                for row in chunk.iter_rows(named=True)
            ]
            done, gone, failures = (
                _bulk(client, user, ops) if bulk and len(ops) > 1 else _each(client, user, ops)
            )
            with hub.engine.begin() as conn:
                store.record_sent(conn, app.id, done)
                store.forget_sent(conn, app.id, gone)
            for op in ops:
                if op.sourced_id in failures:
                    continue
                if op.method == "POST":
                    counts.created += 1
                elif op.method == "PUT":
                    counts.replaced += 1
                else:
                    counts.deleted += 1
            if failures:
                counts.failed += len(failures)
                first = next(iter(failures.items()))
                raise ScimPushFailed(
                    f"{len(failures)} of {len(ops)} operations were refused; "
                    f"user {first[0]}: {first[1]}"
                )


def _server_ids(client: SyncSCIMClient) -> dict[str, str]:
    """externalId → id of every user the application holds (one paged listing)."""
    out: dict[str, str] = {}
    start = 1
    while True:
        page = client.query(
            "User",
            query_parameters={"startIndex": start, "count": PAGE, "attributes": "externalId"},
        )
        if not isinstance(page, ListResponse):
            raise ScimPushFailed("the application's user listing could not be read")
        resources = page.resources or []
        for found in resources:
            external = getattr(found, "external_id", None)
            if external and found.id:
                out[str(external)] = str(found.id)
        start += len(resources)
        if not resources or start > int(page.total_results or 0):
            return out


def _lookup(client: SyncSCIMClient, sourced_id: str) -> str | None:
    """The id of the application's user of this externalId, if it holds one."""
    quoted = sourced_id.replace("\\", "\\\\").replace('"', '\\"')
    found = client.query(
        "User", query_parameters={"filter": f'externalId eq "{quoted}"', "count": 2}
    )
    if isinstance(found, ListResponse) and found.resources:
        return str(found.resources[0].id)
    return None


def _op(
    client: SyncSCIMClient,
    action: str,
    row: Mapping[str, Any],
    *,
    known: Mapping[str, str] | None,
    counts: Counts,
) -> _Op:
    key = str(row["sourced_id"])
    if action == rules.DELETE:
        return _Op("DELETE", key, str(row["scim_id"]), "", None)
    attributes = rules.user_attributes(row)
    if action == rules.REPLACE:
        return _Op("PUT", key, str(row["scim_id"]), str(row["fingerprint"]), attributes)
    existing = known.get(key) if known is not None else _lookup(client, key)
    if existing is not None:
        counts.adopted += 1  # a retry after a lost answer, or a user made before us
        return _Op("PUT", key, existing, str(row["fingerprint"]), attributes)
    return _Op("POST", key, None, str(row["fingerprint"]), attributes)


Outcome = tuple[list[tuple[str, str, str]], list[str], dict[str, str]]


def _each(client: SyncSCIMClient, user: type[Resource[Any]], ops: Sequence[_Op]) -> Outcome:
    """One request per operation: (sent rows, gone sourcedIds, refused: sourcedId → why)."""
    done: list[tuple[str, str, str]] = []
    gone: list[str] = []
    refused: dict[str, str] = {}
    for op in ops:
        try:
            if op.method == "DELETE":
                client.delete(user, op.scim_id or "")
                gone.append(op.sourced_id)
            elif op.method == "PUT":
                made = client.replace(user(id=op.scim_id, **dict(op.attributes or {})))
                done.append((op.sourced_id, str(getattr(made, "id", op.scim_id)), op.fingerprint))
            else:
                made = client.create(user(**dict(op.attributes or {})))
                done.append((op.sourced_id, str(getattr(made, "id", "")), op.fingerprint))
        except SCIMException as error:
            if error.status == 404 and op.method == "DELETE":
                gone.append(op.sourced_id)  # already gone on the application's side
            elif error.status == 404:
                gone.append(op.sourced_id)  # removed there: the next push creates it again
                refused[op.sourced_id] = f"{error.status}: {error}"
            elif error.status in (401, 403):
                raise
            else:
                refused[op.sourced_id] = f"{error.status}: {error}"
    return done, gone, refused


def _bulk_request(user: type[Resource[Any]], ops: Sequence[_Op]) -> BulkRequest[Any]:
    """The bulk request (RFC 7644 §3.7) of the operations."""
    operation = BulkOperation[user]  # type: ignore[valid-type]  # the server's User model, known at run time
    operations = []
    for i, op in enumerate(ops):
        data: Resource[Any] | None = None
        if op.method != "DELETE":
            values: dict[str, Any] = dict(op.attributes or {})
            if op.method == "PUT":
                values["id"] = op.scim_id
            data = user(**values)
        operations.append(
            operation(
                method=BulkOperation.Method(op.method),
                bulk_id=f"b{i}" if op.method == "POST" else None,
                path="/Users" if op.method == "POST" else f"/Users/{op.scim_id}",
                data=data,
            )
        )
    return BulkRequest[user](  # type: ignore[valid-type]  # likewise
        Operations=operations
    )


def _bulk(client: SyncSCIMClient, user: type[Resource[Any]], ops: Sequence[_Op]) -> Outcome:
    """One bulk request for the operations."""
    request = _bulk_request(user, ops)
    answer = client.bulk(request)
    if not isinstance(answer, BulkResponse):
        raise ScimPushFailed("the application's bulk answer could not be read")
    done: list[tuple[str, str, str]] = []
    gone: list[str] = []
    refused: dict[str, str] = {}
    for op, result in zip(ops, answer.operations or [], strict=False):
        status = int(str(result.status or 0))
        if status < 300:
            if op.method == "DELETE":
                gone.append(op.sourced_id)
            else:
                location = str(result.location or "")
                scim_id = location.rstrip("/").rsplit("/", 1)[-1] if location else op.scim_id
                done.append((op.sourced_id, str(scim_id or ""), op.fingerprint))
        elif status == 404:
            gone.append(op.sourced_id)
            if op.method != "DELETE":
                refused[op.sourced_id] = "404: no longer on the application"
        else:
            response = result.response
            detail = response.detail if isinstance(response, Error) else None
            refused[op.sourced_id] = f"{status}: {detail or 'refused'}"
    if len(answer.operations or []) < len(ops):
        for op in ops[len(answer.operations or []) :]:
            refused.setdefault(op.sourced_id, "not carried out (the bulk job stopped)")
    return done, gone, refused


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
    "push",
    "remove_app",
    "run_now",
]
