"""Admin pages of the Application Gallery's SCIM applications: add one (name, SCIM base
URL, bearer token, roles, schools), the list with the last push's counts, push now, remove
(the page asks first). The token is taken once and never shown again (the field stays
empty). The same services as the REST API (`/api/v1/orgs/{slug}/scim/apps`) and
`rosterport scim`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from rosterport.domain.directory import ROLES
from rosterport.errors import RosterportError
from rosterport.services import scim
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.web.admin.api_apps import _schools
from rosterport.web.admin.pages import go_back, org_form, org_page, render
from rosterport.web.auth import Caller
from rosterport.web.deps import HubDep, Id

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    hub: Hub,
    caller: Caller,
    org: Organization,
    *,
    status_code: int = 200,
    error: str | None = None,
    **context: Any,
) -> Response:
    schools = _schools(hub, org)
    return render(
        request,
        "scim_apps.html",
        caller,
        status_code=status_code,
        error=error,
        org=org,
        apps=scim.list_apps(hub, org),
        roles=ROLES,
        schools=schools,
        school_names=dict(schools),
        page="apps",
        **context,
    )


@router.get("/orgs/{slug}/apps/scim", response_class=HTMLResponse)
def scim_page(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org = org_page(request, hub, slug)
    return _page(request, hub, caller, org)


@router.post("/orgs/{slug}/apps/scim")
async def scim_create(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org, _ = await org_form(request, hub, slug)
    form = await request.form()  # read once by org_form; the same form, for its lists
    name = str(form.get("name", ""))
    url = str(form.get("base_url", ""))
    roles = [str(r) for r in form.getlist("role")]
    schools = [str(s) for s in form.getlist("school")]
    try:
        scim.add_app(
            hub,
            org,
            name=name,
            base_url=url,
            token=str(form.get("token", "")),
            settings=scim.ScimSettings(roles=tuple(roles), schools=tuple(schools)),
        )
    except RosterportError as error:
        return _page(
            request,
            hub,
            caller,
            org,
            status_code=400,
            error=str(error)[:1].upper() + str(error)[1:] + ".",
            typed_name=name,
            typed_url=url,
            typed_roles=roles,
            typed_schools=schools,
        )
    return go_back(
        request,
        f"/orgs/{org.slug}/apps/scim",
        message="SCIM application added: each new version is pushed to it.",
    )


@router.post("/orgs/{slug}/apps/scim/{app_id}/run")
async def scim_run(slug: str, app_id: Id, request: Request, hub: HubDep) -> Response:
    _caller, org, _ = await org_form(request, hub, slug)
    back = f"/orgs/{org.slug}/apps/scim"
    try:
        scim.run_now(hub, scim.get_app(hub, org, app_id))
    except RosterportError as error:
        return go_back(request, back, error=str(error))
    return go_back(request, back, message="Push queued: the worker sends it in a moment.")


@router.post("/orgs/{slug}/apps/scim/{app_id}/remove")
async def scim_remove(slug: str, app_id: Id, request: Request, hub: HubDep) -> Response:
    _caller, org, _ = await org_form(request, hub, slug)
    back = f"/orgs/{org.slug}/apps/scim"
    try:
        scim.remove_app(hub, scim.get_app(hub, org, app_id))
    except RosterportError as error:
        return go_back(request, back, error=str(error))
    return go_back(request, back, message="SCIM application removed.")
