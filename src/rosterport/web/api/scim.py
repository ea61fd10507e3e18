"""API: SCIM 2.0 provisioning — SCIM applications of the gallery (the bearer token is
taken, kept encrypted and never answered back), a push now, the last push's counts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from rosterport.services import scim
from rosterport.web.deps import CallerDep, HubDep, Id

router = APIRouter(tags=["scim"])
BASE = "/orgs/{slug}/scim/apps"


class NewApp(BaseModel):
    name: str = ""
    base_url: str = Field(description="the application's SCIM base URL")
    token: str = Field(description="the bearer token (write-only: never shown again)")
    roles: list[str] = Field(default_factory=list, description="roles sent; empty = every role")
    schools: list[str] = Field(default_factory=list, description="school ids; empty = all")
    groups: bool = Field(default=False, description="one group per class (not offered yet)")


@router.get(BASE, summary="The organization's SCIM applications")
def list_all(slug: str, caller: CallerDep, hub: HubDep) -> list[dict[str, Any]]:
    return [a.to_json() for a in scim.list_apps(hub, caller.org(hub, slug))]


@router.post(BASE, status_code=201, summary="A new SCIM application (token kept encrypted)")
def create(slug: str, body: NewApp, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    made = scim.add_app(
        hub,
        caller.org(hub, slug),
        name=body.name,
        base_url=body.base_url,
        token=body.token,
        settings=scim.ScimSettings(
            roles=tuple(r.strip() for r in body.roles if r.strip()),
            schools=tuple(s.strip() for s in body.schools if s.strip()),
            groups=body.groups,
        ),
    )
    return made.to_json()


@router.get(BASE + "/{app_id}", summary="One SCIM application and its last push")
def one(slug: str, app_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return scim.get_app(hub, caller.org(hub, slug), app_id).to_json()


@router.delete(BASE + "/{app_id}", status_code=204, summary="Forget a SCIM application")
def remove(slug: str, app_id: Id, caller: CallerDep, hub: HubDep) -> None:
    scim.remove_app(hub, scim.get_app(hub, caller.org(hub, slug), app_id))


@router.post(BASE + "/{app_id}/run", status_code=202, summary="Queue one push now")
def run(slug: str, app_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return {"job": scim.run_now(hub, scim.get_app(hub, caller.org(hub, slug), app_id))}
