"""Pushing to a SCIM application (`services/scim.py` says what SCIM applications are and
when they are pushed to): the job handler that brings the application's users to the
directory's state through scim2-client, in batches (one `/Bulk` request each when the server
offers it), each batch's outcome saved at once so that a retried push resumes where the last
one stopped."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
import polars as pl
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

from rosterport.domain import scim as domain
from rosterport.services.hub import Hub
from rosterport.services.scim import (
    ScimApp,
    ScimPushFailed,
    app_by_id,
    bearer_token,
)
from rosterport.store import ledger as ledger_store
from rosterport.store import scim as store
from rosterport.store.directory import sync as directory_sync
from rosterport.store.jobs import Job

BATCH = 200  # operations per batch (one bulk request, or one request each)
LIST_AT = 100  # at least this many creates: one paged listing instead of a filter each
PAGE = 500  # users per page of that listing
TIMEOUT = 30.0  # seconds per request


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
        version_id = job.payload.get("version_id") or directory_sync.head(conn, app.org_id)
    if version_id is None:
        return  # no directory yet: nothing to push
    token = bearer_token(hub, app)
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
    todo = domain.plan(accounts, sent, app.settings.roles, app.settings.schools)
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
        (todo.delete, domain.DELETE),
        (todo.replace, domain.REPLACE),
        (todo.create, domain.CREATE),
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
    if action == domain.DELETE:
        return _Op("DELETE", key, str(row["scim_id"]), "", None)
    attributes = domain.user_attributes(row)
    if action == domain.REPLACE:
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
