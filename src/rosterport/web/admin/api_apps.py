"""Admin pages of the Application Gallery's OneRoster API applications (OAuth 2.0 clients of
`/ims/oneroster/v1p1`): register one (name, scopes, schools) → its client id and secret,
shown once on the answer to that POST and never again; the list with scopes, schools,
created and last used; revoke (the page asks first), after which its tokens stop working.
An application's own page lists its webhook endpoints and its delivery ledger (each
version's delivery to each endpoint; redeliver from the version's deliveries page).
The same services as the REST API (`/api/v1/orgs/{slug}/apps`) and `rosterport apps`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from rosterport.errors import NotFoundError, RosterportError
from rosterport.services import api_apps, ledger, webhook_endpoints
from rosterport.services.hub import Hub
from rosterport.services.integration_setup import existing_schools
from rosterport.services.organizations import Organization
from rosterport.web.admin.pages import (
    NO_STORE,
    go_back,
    org_form,
    org_page,
    render,
)
from rosterport.web.auth import Caller
from rosterport.web.deps import HubDep

router = APIRouter(include_in_schema=False)
SCOPES = (
    (api_apps.CORE, "Roster (core)", "schools, classes, courses, users, enrollments, terms"),
    (api_apps.DEMOGRAPHICS, "Demographics", "demographics only"),
    (api_apps.FULL, "Roster (full)", "everything, demographics included"),
)


def _schools(hub: Hub, org: Organization) -> list[tuple[str, str]]:
    """(id, name) of the organization's schools in production, to choose from."""
    found: dict[str, str] = {}
    for model in org.settings.models:
        try:
            for school in existing_schools(hub, org, model):
                found.setdefault(school.id, school.name)
        except RosterportError:
            continue
    return sorted(found.items(), key=lambda s: (s[1].lower(), s[0]))


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
        "api_apps.html",
        caller,
        status_code=status_code,
        error=error,
        org=org,
        apps=sorted(api_apps.list_apps(hub, org), key=lambda a: (a.revoked_at is not None, -a.id)),
        scopes=SCOPES,
        scope_names={s: title for s, title, _ in SCOPES},
        schools=schools,
        school_names=dict(schools),
        page="apps",
        **context,
    )


@router.get("/orgs/{slug}/apps/api", response_class=HTMLResponse)
def api_apps_page(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org = org_page(request, hub, slug)
    return _page(request, hub, caller, org)


@router.post("/orgs/{slug}/apps/api")
async def api_apps_create(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org, _ = await org_form(request, hub, slug)
    form = await request.form()  # read once by org_form; the same form, for its lists
    name = str(form.get("name", ""))
    scopes = [str(s) for s in form.getlist("scope")]
    schools = [str(s) for s in form.getlist("school")]
    try:
        made, secret = api_apps.create(hub, org, name, scopes, schools or None)
    except RosterportError as error:
        return _page(
            request,
            hub,
            caller,
            org,
            status_code=400,
            error=str(error)[:1].upper() + str(error)[1:] + ".",
            typed_name=name,
            typed_scopes=scopes,
            typed_schools=schools,
        )
    # the secret is shown here, in the answer to this POST, and nowhere else (rosterport
    # keeps only its digest and a sealed copy for OAuth 1.0a signatures)
    page = _page(request, hub, caller, org, made=made, secret=secret)
    page.headers.update(NO_STORE)
    return page


@router.post("/orgs/{slug}/apps/api/{client_id}/revoke")
async def api_apps_revoke(slug: str, client_id: str, request: Request, hub: HubDep) -> Response:
    _caller, org, _ = await org_form(request, hub, slug)
    back = f"/orgs/{org.slug}/apps/api"
    try:
        api_apps.revoke(hub, org, client_id)
    except RosterportError as error:
        return go_back(request, back, error=str(error))
    return go_back(request, back, message="Application revoked: its tokens no longer work.")


@router.get("/orgs/{slug}/apps/api/{client_id}", response_class=HTMLResponse)
def api_app_page(slug: str, client_id: str, request: Request, hub: HubDep) -> Response:
    """One application: what it may read, its webhook endpoints, its delivery ledger."""
    caller, org = org_page(request, hub, slug)
    app = next((a for a in api_apps.list_apps(hub, org) if a.client_id == client_id), None)
    if app is None:
        raise NotFoundError(f"no API application {client_id!r} in this organization")
    schools = dict(_schools(hub, org))
    return render(
        request,
        "api_app.html",
        caller,
        org=org,
        app=app,
        endpoints=webhook_endpoints.list_endpoints(hub, org, client_id),
        deliveries=ledger.of_app(hub, org, client_id),
        scope_names={s: title for s, title, _ in SCOPES},
        school_names=schools,
        page="apps",
    )
