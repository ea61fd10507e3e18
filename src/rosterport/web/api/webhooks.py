"""API: webhook endpoints of an organization's API applications, and the delivery ledger of
a version (with redelivery), for administrators' API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from rosterport.services import ledger, webhook_endpoints
from rosterport.web.deps import CallerDep, HubDep, Id

router = APIRouter(tags=["webhooks"])


class NewEndpoint(BaseModel):
    url: str = Field(description="where deliveries are POSTed (http:// or https://)")
    types: list[str] | None = Field(
        default=None,
        description="event types the endpoint wants (`users.updated`, `roster.loaded`, …); "
        "default: every committed version",
    )


@router.get("/orgs/{slug}/apps/{client_id}/webhooks", summary="An application's webhook endpoints")
def list_webhooks(slug: str, client_id: str, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return {
        "webhooks": [e.to_json() for e in webhook_endpoints.list_endpoints(hub, org, client_id)]
    }


@router.post(
    "/orgs/{slug}/apps/{client_id}/webhooks",
    status_code=201,
    summary="Add a webhook endpoint; the answer holds its signing secret, shown only now",
)
def add_webhook(
    slug: str, client_id: str, body: NewEndpoint, hub: HubDep, caller: CallerDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    made, secret = webhook_endpoints.add(hub, org, client_id, body.url, body.types)
    return {**made.to_json(), "secret": secret}


@router.post(
    "/orgs/{slug}/apps/{client_id}/webhooks/{endpoint_id}/rotate",
    summary="A new signing secret (shown only now); the old one signs too for 24 hours",
)
def rotate_webhook(
    slug: str, client_id: str, endpoint_id: Id, hub: HubDep, caller: CallerDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    made, secret = webhook_endpoints.rotate(hub, org, client_id, endpoint_id)
    return {**made.to_json(), "secret": secret}


@router.delete(
    "/orgs/{slug}/apps/{client_id}/webhooks/{endpoint_id}",
    summary="Remove a webhook endpoint (its ledger rows stay)",
)
def remove_webhook(
    slug: str, client_id: str, endpoint_id: Id, hub: HubDep, caller: CallerDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    webhook_endpoints.remove(hub, org, client_id, endpoint_id)
    return {"removed": endpoint_id}


@router.get(
    "/orgs/{slug}/apps/{client_id}/deliveries",
    summary="The newest deliveries to an application's webhook endpoints (its ledger)",
)
def app_deliveries(slug: str, client_id: str, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return {"deliveries": ledger.of_app(hub, org, client_id)}


@router.get(
    "/orgs/{slug}/versions/{version_id}/deliveries",
    summary="The delivery ledger of a version: each consumer's state, attempts, next try",
)
def version_deliveries(slug: str, version_id: Id, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return {
        "version": version_id,
        "deliveries": [e.to_json() for e in ledger.entries(hub, org, version_id)],
    }


class Redeliver(BaseModel):
    endpoint_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="one endpoint; default: every failed one"
    )


@router.post(
    "/orgs/{slug}/versions/{version_id}/deliveries/redeliver",
    summary="Deliver a version again to one failed webhook endpoint, or to every failed one",
)
def redeliver(
    slug: str, version_id: Id, body: Redeliver, hub: HubDep, caller: CallerDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    chosen = None if body.endpoint_id is None else [body.endpoint_id]
    return {"redelivering": ledger.redeliver(hub, org, version_id, chosen)}
