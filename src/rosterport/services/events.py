"""The change feed (spec/roster-delivery.md §3): events written with the roster store's
change, read by cursor, purged after the retention.

`publish` runs inside the transaction that applies a version to the roster store
(services/roster_store.py), so the store and the feed never disagree; it also schedules the
version's webhook deliveries (services/webhooks.py) in that transaction.

Cursors are opaque to readers (an event id, encoded). A cursor at or below the newest event
purged for the organization may have missed events: reading from it raises
`CursorExpiredError` (HTTP 410), whose `current` cursor is where a reader that re-read the
roster from the REST API follows the feed from.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import sqlalchemy as sa

from rosterport.domain import events as domain
from rosterport.domain import oneroster_query as q
from rosterport.errors import CursorExpiredError, InputError
from rosterport.services import webhooks
from rosterport.services.hub import Hub
from rosterport.store import events as store
from rosterport.store.events import EventRow

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100
_PREFIX = "evt_"


def cursor(event_id: int) -> str:
    """The opaque cursor of an event id."""
    return _PREFIX + base64.urlsafe_b64encode(str(event_id).encode()).decode().rstrip("=")


def event_id(text: str) -> int:
    """The event id of a cursor (InputError when it is not one)."""
    body = text.removeprefix(_PREFIX)
    try:
        decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        if text.startswith(_PREFIX) and decoded.isdigit():
            return int(decoded)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise InputError(f"{text!r} is not an events cursor; use the `next` of an earlier answer")


def publish(
    hub: Hub,
    conn: sa.Connection,
    *,
    org_id: int,
    org_slug: str,
    version_id: int,
    occurred_at: datetime,
    events: pl.DataFrame,
) -> None:
    """Write a version's events and schedule its webhook deliveries (caller's transaction)."""
    after = store.latest_id(conn, org_id)
    store.write(
        conn, events, org_id=org_id, version_id=version_id, occurred_at=occurred_at, now=hub.clock()
    )
    until = store.latest_id(conn, org_id)
    types = set(events.get_column("type").unique().to_list()) if events.height else set()
    webhooks.schedule(
        hub,
        conn,
        webhooks.Committed(
            org_id=org_id,
            organization=org_slug,
            version_id=version_id,
            counts=domain.counts(events),
            after=cursor(after),
            until=cursor(until),
            types=frozenset(types),
        ),
    )


@dataclass(frozen=True, slots=True)
class Page:
    events: list[dict[str, Any]]
    next: str  # the cursor to read on from (the last event's; `after` when none came)
    has_more: bool


def read(
    hub: Hub,
    org_id: int,
    *,
    after: str | None,
    limit: int | None,
    types: Sequence[str] | None,
    base: str,
    hidden: Sequence[str] = (),
) -> Page:
    """Up to `limit` events after the cursor (from the oldest kept when None), each as the
    feed presents it (`data` as the REST API serves the object, hrefs under `base`); none of
    the `hidden` collections (those the reader's scopes do not cover)."""
    size = DEFAULT_LIMIT if limit is None else limit
    if size < 1:
        raise InputError("limit must be at least 1")
    size = min(size, MAX_LIMIT)
    with hub.engine.connect() as conn:
        horizon = store.purged_through(conn, org_id)
        start = horizon if after is None else event_id(after)
        if start < horizon:
            raise CursorExpiredError(
                f"this cursor is older than the feed's retention "
                f"({hub.event_retention_days} days): events after it were deleted. "
                "Re-read the roster from the OneRoster API, then follow the feed from the "
                "cursor `current`",
                cursor(store.latest_id(conn, org_id)),
            )
        rows = store.page(conn, org_id, after=start, limit=size + 1, types=types, hidden=hidden)
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1].id if rows else start
    return Page([present(r, base) for r in rows], cursor(last), more)


def current(hub: Hub, org_id: int) -> str:
    """The cursor of the organization's newest event (where a reader starting now begins)."""
    with hub.engine.connect() as conn:
        return cursor(store.latest_id(conn, org_id))


def present(row: EventRow, base: str) -> dict[str, Any]:
    """One event as the feed answers it."""
    out: dict[str, Any] = {
        "id": cursor(row.id),
        "type": row.type,
        "version": row.version_id,
        "occurred_at": q.iso(row.occurred_at),
    }
    if row.collection is None:  # the marker: its own data
        out["data"] = json.loads(row.data)
        return out
    status = "tobedeleted" if row.type.endswith(".deleted") else "active"
    sourced_id = row.sourced_id or ""
    out["data"] = q.present(sourced_id, status, row.occurred_at, row.data, base=base)
    if row.previous is not None:
        fields = json.loads(row.previous)
        shown = q.present(sourced_id, status, row.occurred_at, row.previous, base=base)
        out["previous"] = {k: shown.get(k) for k in fields}
    return out


def purge(hub: Hub) -> int:
    """Delete events older than the retention (a worker chore); how many."""
    before = hub.clock() - timedelta(days=hub.event_retention_days)
    with hub.engine.begin() as conn:
        return store.purge(conn, before=before)
