"""An organization's Settings (mode, issue levels, safeguards, data models) and its API
tokens (a new token shown once, revoke)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from rosterport.domain.issues import CATALOGUE, RECORD_ISSUES
from rosterport.domain.schemas import MODELS
from rosterport.errors import RosterportError
from rosterport.services import accounts
from rosterport.services.hub import Hub
from rosterport.services.organizations import (
    Organization,
    checked_settings,
    update_settings,
)
from rosterport.web.admin.pages import (
    NO_STORE,
    go_back,
    org_form,
    org_page,
    percent,
    render,
)
from rosterport.web.auth import Caller
from rosterport.web.deps import HubDep, Id
from rosterport.web.errors import HttpProblem, classify

router = APIRouter(include_in_schema=False)


@router.get("/orgs/{slug}/settings", response_class=HTMLResponse)
def settings_page(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org = org_page(request, hub, slug)
    return render(
        request,
        "settings.html",
        caller,
        org=org,
        issue_types=[CATALOGUE[c] for c in RECORD_ISSUES],
        models=list(MODELS.values()),
        page="settings",
    )


@router.post("/orgs/{slug}/settings")
async def settings_save(slug: str, request: Request, hub: HubDep) -> Response:
    _caller, org, form = await org_form(request, hub, slug)
    back = f"/orgs/{org.slug}/settings"
    try:
        settings = checked_settings(
            mode=str(form.get("mode", "full")),
            levels={
                code: str(form[f"level-{code}"])
                for code in RECORD_ISSUES
                if form.get(f"level-{code}") not in {None, "", CATALOGUE[code].level.value}
            },
            default_threshold=percent(form.get("default_threshold", "10"), "every file"),
            thresholds={
                key.removeprefix("threshold-"): percent(value, key.removeprefix("threshold-"))
                for key, value in form.items()
                if key.startswith("threshold-") and str(value).strip()
            },
            models=[m for m in MODELS if form.get(f"model-{m}") == "on"],
            filtered_threshold=percent(form.get("filtered_threshold", "10"), "filtered records"),
            events_on_first_load=org.settings.events_on_first_load,  # set by the API only
        )
        update_settings(hub, org, settings)
    except (RosterportError, HttpProblem) as error:
        return go_back(request, back, error=classify(error).message)
    return go_back(request, back, message="Settings saved.")


@router.get("/orgs/{slug}/tokens", response_class=HTMLResponse)
def tokens_page(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org = org_page(request, hub, slug)
    return _tokens_page(request, hub, caller, org)


@router.post("/orgs/{slug}/tokens")
async def tokens_create(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org, form = await org_form(request, hub, slug)
    back = f"/orgs/{org.slug}/tokens"
    name = str(form.get("name", ""))
    try:
        token = accounts.create_token(hub, org, caller.account, name)
    except RosterportError as error:
        return go_back(request, back, error=str(error))
    # the token is shown here, in the answer to this POST, and nowhere else: not in a
    # redirect's URL (access logs, history) nor in a cookie
    page = _tokens_page(request, hub, caller, org, new_token=token, new_token_name=name.strip())
    page.headers.update(NO_STORE)
    return page


@router.post("/orgs/{slug}/tokens/{token_id}/revoke")
async def tokens_revoke(slug: str, token_id: Id, request: Request, hub: HubDep) -> Response:
    _caller, org, _ = await org_form(request, hub, slug)
    accounts.revoke_token(hub, org, token_id)
    return go_back(request, f"/orgs/{org.slug}/tokens", message="Token revoked.")


def _tokens_page(
    request: Request, hub: Hub, caller: Caller, org: Organization, **shown: Any
) -> Response:
    """The API tokens page (`shown`: a token just created, on its POST's own answer)."""
    return render(
        request,
        "tokens.html",
        caller,
        org=org,
        tokens=accounts.list_tokens(hub, org),
        page="tokens",
        **shown,
    )
