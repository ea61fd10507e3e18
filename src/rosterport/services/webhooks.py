"""Webhook deliveries (spec/roster-delivery.md §4): signed thin payloads, deliveries as
jobs, and their rows in the delivery ledger. The endpoints themselves are
`services/webhook_endpoints.py`.

- Each committed version schedules one delivery per live endpoint whose types it has
  (`schedule`, in the transaction that writes the version's events): a ledger row
  `webhook:<endpoint id>` and a `webhook-delivery` job (transactional outbox).
- A delivery (`deliver`, the job handler) POSTs the payload signed per the Standard Webhooks
  specification (`standardwebhooks`): headers `webhook-id` (the same on every attempt),
  `webhook-timestamp`, `webhook-signature` (during a secret's rotation, both secrets'). A
  2xx answer within the timeout is delivered; 410 disables the endpoint; anything else
  (another status, a timeout, a reset connection) is tried again after `retry_delay`:
  exponential back-off with jitter, or the receiver's `Retry-After` (429, 503), for about
  three days (`MAX_ATTEMPTS`), then the row is failed. Each attempt is a new job, run at the
  next try.
- The target is checked again at each delivery, after resolving its name (`check_url`): a
  non-public address is refused unless the operator allows it. Redirects are not followed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx
import sqlalchemy as sa
from standardwebhooks import Webhook

from rosterport.domain import events as domain
from rosterport.errors import InputError, StateError
from rosterport.services.hub import Hub
from rosterport.services.webhook_endpoints import check_url
from rosterport.store import jobs as queue
from rosterport.store import ledger
from rosterport.store import webhooks as store
from rosterport.store.engine import immediate
from rosterport.store.jobs import Job
from rosterport.store.webhooks import EndpointRow

DELIVER: Final = "webhook-delivery"  # job kind
MAX_ATTEMPTS: Final = 13  # 1 min … 10 h apart: the last try about three days after the first
FIRST_DELAY: Final = 60.0  # seconds before the second attempt
MAX_DELAY: Final = 10 * 3600.0
MAX_RETRY_AFTER: Final = 24 * 3600.0
PENDING, DELIVERED, RETRYING, FAILED, DISABLED, REFUSED, SKIPPED = (
    "pending",
    "delivered",
    "retrying",
    "failed",
    "disabled",
    "refused",
    "skipped",
)
REDELIVERABLE: Final = (FAILED, DISABLED, REFUSED)


def consumer(endpoint_id: int) -> str:
    """The ledger's consumer name of an endpoint."""
    return f"webhook:{endpoint_id}"


# -- scheduling --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Committed:
    """What a version's thin payload says."""

    org_id: int
    organization: str
    version_id: int
    counts: dict[str, dict[str, int]]
    after: str
    until: str
    types: frozenset[str]

    def payload(self, timestamp: datetime) -> dict[str, Any]:
        return {
            "type": domain.COMMITTED,
            "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
            "data": {
                "organization": self.organization,
                "version": self.version_id,
                "counts": self.counts,
                "events": {"after": self.after, "until": self.until},
            },
        }


def schedule(hub: Hub, conn: sa.Connection, committed: Committed) -> list[int]:
    """A ledger row and a delivery job per live endpoint that wants this version (the
    caller's transaction); the endpoint ids."""
    now = hub.clock()
    body = json.dumps(committed.payload(now), separators=(",", ":"))
    chosen = []
    for endpoint in store.live_of_org(conn, committed.org_id):
        if endpoint.types is not None and not committed.types & set(endpoint.types):
            continue
        ledger.record(
            conn,
            committed.version_id,
            consumer(endpoint.id),
            state=PENDING,
            now=now,
            attempted=False,
            next_try_at=now,
            endpoint_id=endpoint.id,
            payload=body,
        )
        _enqueue(conn, committed.version_id, endpoint.id, body, attempt=1, first=now, at=now)
        chosen.append(endpoint.id)
    return chosen


def _enqueue(
    conn: sa.Connection,
    version_id: int,
    endpoint_id: int,
    body: str,
    *,
    attempt: int,
    first: datetime,
    at: datetime,
) -> None:
    payload = {
        "version_id": version_id,
        "endpoint_id": endpoint_id,
        "body": body,
        "attempt": attempt,
        "first": first.isoformat(),
    }
    queue.enqueue(conn, DELIVER, payload, now=at, run_at=at, max_attempts=3)


# -- delivering --------------------------------------------------------------------------------


def retry_delay(attempt: int, retry_after: float | None = None) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1, 2, …): the receiver's
    Retry-After (at most a day) when given, else 1 min × 3^(attempt-1), at most 10 h, with
    ±20 % jitter (so many endpoints failing together do not retry together)."""
    if retry_after is not None:
        return timedelta(seconds=min(max(retry_after, 1.0), MAX_RETRY_AFTER))
    base = min(FIRST_DELAY * 3 ** min(attempt - 1, 12), MAX_DELAY)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # jitter, not a secret


def _retry_after(response: httpx.Response, now: datetime) -> float | None:
    value = response.headers.get("retry-after")
    if value is None or response.status_code not in (429, 503):
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - now).total_seconds(), 0.0)


def signature(hub: Hub, row: EndpointRow, msg_id: str, when: datetime, body: str) -> str:
    """The `webhook-signature` value: the current secret's, and during a rotation's overlap
    the old secret's too (space-separated, as the specification allows)."""
    sealed = [row.secret_sealed]
    if row.old_secret_sealed is not None and row.old_secret_until and row.old_secret_until > when:
        sealed.append(row.old_secret_sealed)
    signs = [
        Webhook(hub.snapshots.box.decrypt(s).decode()).sign(msg_id, when, body) for s in sealed
    ]
    return " ".join(signs)


@dataclass(frozen=True, slots=True)
class Outcome:
    state: str
    status_code: int | None
    error: str | None
    retry_after: float | None = None


def _post(hub: Hub, row: EndpointRow, version_id: int, body: str) -> Outcome:
    try:
        check_url(row.url, allow_private=hub.webhook_allow_private, resolve=True)
    except InputError as error:
        return Outcome(REFUSED, None, str(error))
    now = hub.clock()
    msg_id = f"msg_v{version_id}_e{row.id}"  # the same on every attempt: receivers dedupe
    headers = {
        "content-type": "application/json",
        "user-agent": "rosterport-webhooks",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(hub, row, msg_id, now, body),
    }
    timeout = httpx.Timeout(hub.webhook_timeout, connect=min(hub.webhook_timeout, 5.0))
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.post(row.url, content=body.encode(), headers=headers)
    except httpx.TimeoutException:
        return Outcome(RETRYING, None, f"no answer within {hub.webhook_timeout:g} s")
    except httpx.HTTPError as error:
        return Outcome(RETRYING, None, f"connection failed ({type(error).__name__})")
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(DELIVERED, code, None)
    if code == 410:
        return Outcome(DISABLED, code, "the receiver answered 410 Gone: endpoint disabled")
    return Outcome(
        RETRYING, code, f"the receiver answered HTTP {code}", _retry_after(response, now)
    )


def deliver(hub: Hub, job: Job) -> None:
    """Job handler: one attempt at delivering a version to an endpoint (module doc)."""
    version_id = int(job.payload["version_id"])
    endpoint_id = int(job.payload["endpoint_id"])
    attempt = int(job.payload["attempt"])
    body = str(job.payload["body"])
    name = consumer(endpoint_id)
    with hub.engine.connect() as conn:
        row = store.by_id(conn, endpoint_id)
    if row is None or row.removed_at is not None or row.disabled_at is not None:
        with immediate(hub.engine).begin() as conn:
            why = "the endpoint was removed" if row is None or row.removed_at else "disabled"
            ledger.record(
                conn, version_id, name, state=SKIPPED, now=hub.clock(), attempted=False, error=why
            )
        return
    outcome = _post(hub, row, version_id, body)
    now = hub.clock()
    with immediate(hub.engine).begin() as conn:
        state = outcome.state
        next_try = None
        if state == RETRYING:
            if attempt >= MAX_ATTEMPTS:
                state = FAILED
            else:
                next_try = now + retry_delay(attempt, outcome.retry_after)
                first = datetime.fromisoformat(str(job.payload["first"]))
                _enqueue(
                    conn,
                    version_id,
                    endpoint_id,
                    body,
                    attempt=attempt + 1,
                    first=first,
                    at=next_try,
                )
        if state == DISABLED:
            store.update(conn, endpoint_id, disabled_at=now, disabled_reason=outcome.error)
        ledger.record(
            conn,
            version_id,
            name,
            state=state,
            now=now,
            error=outcome.error,
            status_code=outcome.status_code,
            next_try_at=next_try,
            endpoint_id=endpoint_id,
        )


def redeliver(hub: Hub, version_id: int, endpoint_ids: Sequence[int] | None = None) -> list[int]:
    """Deliver a version again to its failed, disabled or refused endpoints (only those of
    `endpoint_ids` when given), from a first attempt; the endpoint ids. A disabled endpoint
    is enabled again."""
    now = hub.clock()
    done = []
    with immediate(hub.engine).begin() as conn:
        for row in ledger.rows_of(conn, version_id):
            if row.endpoint_id is None or row.state not in REDELIVERABLE:
                continue
            if endpoint_ids is not None and row.endpoint_id not in endpoint_ids:
                continue
            endpoint = store.by_id(conn, row.endpoint_id)
            if endpoint is None or endpoint.removed_at is not None:
                continue
            body = ledger.payload_of(conn, version_id, row.consumer)
            if body is None:
                continue
            store.update(conn, row.endpoint_id, disabled_at=None, disabled_reason=None)
            ledger.record(
                conn,
                version_id,
                row.consumer,
                state=PENDING,
                now=now,
                attempted=False,
                next_try_at=now,
            )
            _enqueue(conn, version_id, row.endpoint_id, body, attempt=1, first=now, at=now)
            done.append(row.endpoint_id)
    if endpoint_ids is not None and not done:
        raise StateError(
            f"version {version_id} has no failed delivery to endpoint(s) {list(endpoint_ids)}"
        )
    return done
