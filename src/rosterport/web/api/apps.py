"""API: OneRoster API applications of an organization (register, list, revoke)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from rosterport.services import api_apps
from rosterport.store.apps import AppRow
from rosterport.web.deps import CallerDep, HubDep

router = APIRouter(tags=["oneroster apps"])


class NewApp(BaseModel):
    name: str = Field(description="what the application is, e.g. Moodle")
    scopes: list[str] = Field(
        default_factory=list,
        description="roster-core.readonly (default), roster.readonly, "
        "roster-demographics.readonly, or their full URLs",
    )
    schools: list[str] | None = Field(
        default=None, description="only these schools' data (sourcedIds); default: all"
    )


def _shown(app: AppRow) -> dict[str, Any]:
    return {
        "client_id": app.client_id,
        "name": app.name,
        "scopes": list(app.scopes),
        "schools": None if app.schools is None else list(app.schools),
        "created_at": app.created_at.isoformat(),
        "last_used_at": app.last_used_at and app.last_used_at.isoformat(),
        "revoked_at": app.revoked_at and app.revoked_at.isoformat(),
    }


@router.get("/orgs/{slug}/apps", summary="The organization's OneRoster API applications")
def list_apps(slug: str, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return {"apps": [_shown(a) for a in api_apps.list_apps(hub, org)]}


@router.post(
    "/orgs/{slug}/apps",
    status_code=201,
    summary="Register an application; the answer holds its client secret, shown only now",
)
def create_app(slug: str, body: NewApp, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    made, secret = api_apps.create(hub, org, body.name, body.scopes, body.schools)
    return {**_shown(made), "client_secret": secret}


@router.post(
    "/orgs/{slug}/apps/{client_id}/revoke",
    summary="Revoke an application: its tokens stop working at once",
)
def revoke_app(slug: str, client_id: str, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    api_apps.revoke(hub, org, client_id)
    return {"revoked": client_id}
