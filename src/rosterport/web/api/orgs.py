"""API: the caller, organizations and their administrators, settings, API tokens, templates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from rosterport.csvio.templates import templates_zip
from rosterport.domain.issues import CATALOGUE, RECORD_ISSUES
from rosterport.domain.schemas import MODELS, get_model
from rosterport.services import accounts
from rosterport.services.organizations import (
    Organization,
    checked_settings,
    create_org,
    update_settings,
)
from rosterport.web.api.versions import attachment
from rosterport.web.deps import CallerDep, HubDep, Id

router = APIRouter(tags=["organizations"])


class NewOrg(BaseModel):
    slug: str = Field(description="3–100 characters of a-z, 0-9 and '-', e.g. springfield-usd")
    name: str | None = None


class NewAdmin(BaseModel):
    email: str
    password: str | None = Field(default=None, description="default: generated and returned once")


class SettingsBody(BaseModel):
    mode: str = Field(default="full", description="full or incremental")
    levels: dict[str, str] = Field(default_factory=dict, description="record issue code → level")
    default_threshold: float = Field(default=0.10, description="share of records (0–1)")
    thresholds: dict[str, float] = Field(default_factory=dict, description="file → share")
    models: list[str] = Field(default_factory=lambda: list(MODELS))
    filtered_threshold: float = Field(
        default=0.10,
        description="unattended (SFTP) uploads filtering out more than this share of a "
        "file's records (0–1) are Held",
    )
    events_on_first_load: bool = Field(
        default=False,
        description="a first roster load writes every object as a created event to the feed "
        "(default: one roster.loaded marker; readers start from the OneRoster API)",
    )


class NewToken(BaseModel):
    name: str = Field(description="what uses the token, e.g. 'SIS nightly sync'")


def org_json(org: Organization) -> dict[str, Any]:
    return {"slug": org.slug, "name": org.name}


def settings_json(org: Organization) -> dict[str, Any]:
    """The organization's settings with the level in force for every record issue type."""
    return {
        **org.settings.to_json(),
        "issue_levels": [
            {
                "code": code,
                "title": CATALOGUE[code].title,
                "default": CATALOGUE[code].level.value,
                "level": org.settings.levels.get(code, CATALOGUE[code].level).value,
            }
            for code in RECORD_ISSUES
        ],
    }


@router.get("/me", summary="The signed-in account or the token's account")
def me(caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return {
        "email": caller.account.email,
        "platform": caller.is_platform,
        "organizations": [org_json(o) for o in caller.orgs(hub)],
    }


@router.get("/orgs", summary="The organizations the caller manages")
def orgs(caller: CallerDep, hub: HubDep) -> list[dict[str, Any]]:
    return [org_json(o) for o in caller.orgs(hub)]


@router.post("/orgs", status_code=201, summary="Create an organization (platform admins)")
def new_org(body: NewOrg, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    caller.require_platform()
    return org_json(create_org(hub, body.slug, body.name))


@router.get("/orgs/{slug}", summary="One organization")
def one_org(slug: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return org_json(caller.org(hub, slug))


@router.get("/orgs/{slug}/admins", summary="The organization's administrators")
def admins(slug: str, caller: CallerDep, hub: HubDep) -> list[dict[str, Any]]:
    org = caller.org(hub, slug)
    return [{"email": a.email} for a in accounts.list_accounts(hub, org)]


@router.post("/orgs/{slug}/admins", status_code=201, summary="Create an organization administrator")
def new_admin(slug: str, body: NewAdmin, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    caller.require_platform()
    password = body.password or accounts.generate_password()
    account = accounts.create_account(hub, body.email, password, org=org)
    return {"email": account.email, "password": None if body.password else password}


@router.get("/orgs/{slug}/settings", summary="Upload mode, issue levels, safeguards, models")
def get_settings(slug: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return settings_json(caller.org(hub, slug))


@router.put("/orgs/{slug}/settings", summary="Change the organization's settings")
def put_settings(slug: str, body: SettingsBody, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    settings = checked_settings(
        mode=body.mode,
        levels=body.levels,
        default_threshold=body.default_threshold,
        thresholds=body.thresholds,
        models=body.models,
        filtered_threshold=body.filtered_threshold,
        events_on_first_load=body.events_on_first_load,
    )
    return settings_json(update_settings(hub, org, settings))


@router.get("/orgs/{slug}/tokens", summary="The organization's API tokens")
def tokens(slug: str, caller: CallerDep, hub: HubDep) -> list[dict[str, Any]]:
    org = caller.org(hub, slug)
    return [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "created_by": t.created_by,
            "created_at": t.created_at.isoformat(timespec="seconds"),
            "last_used_at": t.last_used_at.isoformat(timespec="seconds")
            if t.last_used_at
            else None,
        }
        for t in accounts.list_tokens(hub, org)
    ]


@router.post(
    "/orgs/{slug}/tokens", status_code=201, summary="Create an API token (shown only once)"
)
def new_token(slug: str, body: NewToken, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return {"name": body.name, "token": accounts.create_token(hub, org, caller.account, body.name)}


@router.delete("/orgs/{slug}/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def revoke(slug: str, token_id: Id, caller: CallerDep, hub: HubDep) -> Response:
    accounts.revoke_token(hub, caller.org(hub, slug), token_id)
    return Response(status_code=204)


@router.get(
    "/templates/{model}",
    summary="A ZIP of header-only CSV templates and a README for a data model",
    response_class=Response,
)
def templates(model: str, caller: CallerDep) -> Response:
    del caller  # signed-in callers only
    return attachment(templates_zip(get_model(model)), "application/zip", f"{model}-templates.zip")
