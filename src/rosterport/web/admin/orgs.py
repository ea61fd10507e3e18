"""Organizations and their administrators (platform administrators): the list, the
organization switcher, a new organization, a new administrator (a generated password shown
once)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from rosterport.errors import RosterportError
from rosterport.services import accounts
from rosterport.services.organizations import (
    create_org,
)
from rosterport.web.admin.pages import (
    NO_STORE,
    checked_form,
    go_back,
    render,
    signed_in,
)
from rosterport.web.deps import HubDep

router = APIRouter(include_in_schema=False)


@router.get("/orgs", response_class=HTMLResponse)
def orgs_page(
    request: Request,
    hub: HubDep,
    go: str | None = None,
) -> Response:
    caller = signed_in(request, hub)
    if go:  # the organization switcher
        return RedirectResponse(f"/orgs/{caller.org(hub, go).slug}", status_code=303)
    admins = {o.slug: accounts.list_accounts(hub, o) for o in caller.orgs(hub)}
    return render(request, "orgs.html", caller, admins=admins)


@router.post("/orgs")
async def orgs_create(request: Request, hub: HubDep) -> Response:
    caller = signed_in(request, hub)
    form = await checked_form(request, caller)
    caller.require_platform()
    try:
        org = create_org(hub, str(form.get("slug", "")).strip(), str(form.get("name", "")) or None)
    except RosterportError as error:
        return go_back(request, "/orgs", error=str(error))
    return go_back(request, "/orgs", message=f"Organization {org.name} created.")


@router.post("/admins")
async def admins_create(request: Request, hub: HubDep) -> Response:
    caller = signed_in(request, hub)
    form = await checked_form(request, caller)
    org = caller.org(hub, str(form.get("org", "")))
    caller.require_platform()
    password = str(form.get("password", "")) or accounts.generate_password()
    try:
        account = accounts.create_account(hub, str(form.get("email", "")), password, org=org)
    except RosterportError as error:
        return go_back(request, "/orgs", error=str(error))
    # a generated password is shown in the answer to this POST only (see tokens_create)
    admins = {o.slug: accounts.list_accounts(hub, o) for o in caller.orgs(hub)}
    page = render(
        request,
        "orgs.html",
        caller,
        admins=admins,
        notice=f"Administrator {account.email} created for {org.name}.",
        new_password=None if form.get("password") else password,
        new_password_for=account.email,
    )
    page.headers.update(NO_STORE)
    return page
