"""The delivery ledger of a version (spec/roster-delivery.md §4, §5): each consumer's row —
the internal consumers (`read-model`, `roster-store`) and each webhook endpoint — with its
state, attempts, last status and error, and next try; redelivery of failed webhook rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rosterport.services import versions as v
from rosterport.services import webhook_endpoints, webhooks
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import ledger as store
from rosterport.store import scim as scim_store
from rosterport.store import webhooks as endpoints

INTERNAL = {
    "directory": "Accounts directory",
    "read-model": "Read model",
    "roster-store": "Roster store and event feed",
    "vault": "Password vault",
}


@dataclass(frozen=True, slots=True)
class Entry:
    consumer: str
    label: str  # what people read: "Roster store and event feed", "Webhook https://…"
    state: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_try_at: datetime | None
    updated_at: datetime
    endpoint_id: int | None
    client_id: str | None

    @property
    def redeliverable(self) -> bool:
        return self.endpoint_id is not None and self.state in webhooks.REDELIVERABLE

    def to_json(self) -> dict[str, Any]:
        return {
            "consumer": self.consumer,
            "label": self.label,
            "state": self.state,
            "attempts": self.attempts,
            "last_status_code": self.last_status_code,
            "last_error": self.last_error,
            "next_try_at": self.next_try_at and self.next_try_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "endpoint_id": self.endpoint_id,
            "client_id": self.client_id,
            "redeliverable": self.redeliverable,
        }


def entries(hub: Hub, org: Organization, version_id: int) -> list[Entry]:
    """The version's ledger (NotFoundError when the organization has no such version)."""
    v.version_row(hub, org, version_id)
    out = []
    with hub.engine.connect() as conn:
        for row in store.rows_of(conn, version_id):
            label = INTERNAL.get(row.consumer, row.consumer)
            client_id = None
            kind, _, number = row.consumer.partition(":")
            if kind == "scim" and number.isdigit():
                app = scim_store.app_row(conn, int(number))
                label = f"SCIM application {app.name if app is not None else number}"
            if row.endpoint_id is not None:
                endpoint = endpoints.by_id(conn, row.endpoint_id)
                if endpoint is not None:
                    label = f"Webhook {endpoint.url}"
                    client_id = endpoint.client_id
            out.append(
                Entry(
                    row.consumer,
                    label,
                    row.state,
                    row.attempts,
                    row.last_status_code,
                    row.last_error,
                    row.next_try_at,
                    row.updated_at,
                    row.endpoint_id,
                    client_id,
                )
            )
    return out


def of_app(hub: Hub, org: Organization, client_id: str, *, limit: int = 100) -> list[Any]:
    """The newest ledger rows of an application's webhook endpoints, as JSON rows with the
    version and the endpoint's URL."""
    listed = {e.id: e.url for e in webhook_endpoints.list_endpoints(hub, org, client_id)}
    with hub.engine.connect() as conn:
        rows = store.of_endpoints(conn, sorted(listed), limit=limit)
    return [
        Entry(
            r.consumer,
            f"Webhook {listed.get(r.endpoint_id or 0, '')}",
            r.state,
            r.attempts,
            r.last_status_code,
            r.last_error,
            r.next_try_at,
            r.updated_at,
            r.endpoint_id,
            client_id,
        ).to_json()
        | {"version": r.version_id}
        for r in rows
    ]


def redeliver(
    hub: Hub, org: Organization, version_id: int, endpoint_ids: Sequence[int] | None = None
) -> list[int]:
    """Deliver the version again to one endpoint (or every failed one); the endpoint ids."""
    v.version_row(hub, org, version_id)
    return webhooks.redeliver(hub, version_id, endpoint_ids)
