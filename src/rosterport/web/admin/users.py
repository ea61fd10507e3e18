"""Admin page Users: the organization's accounts directory (search by name, id or e-mail;
state; role; school), each account's schools, last change and the applications that have
credentials set for it ("set on DATE", never the value), with replace and clear, and the
audit of the launch connectors' reads."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from rosterport.domain.directory import ROLES, STATES, unlisted
from rosterport.errors import RosterportError
from rosterport.services import directory, vault
from rosterport.store.directory.queries import Selection
from rosterport.web.admin.pages import go_back, org_form, org_page, render
from rosterport.web.deps import HubDep, Offset

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/orgs/{slug}/users")
def users_page(
    slug: str,
    request: Request,
    hub: HubDep,
    q: str | None = None,
    state: str | None = Query(default=None),
    role: str | None = None,
    school: str | None = None,
    offset: Offset = 0,
) -> Response:
    caller, org = org_page(request, hub, slug)
    selection = Selection(
        org.id,
        state=state or None,
        role=role or None,
        school=school or None,
        text=q.strip() if q and q.strip() else None,
    )
    total, page = directory.accounts_page(hub, selection, offset=offset, limit=PAGE)
    sets = vault.credentials_set(hub, [a.id for a in page])
    _, reads = vault.reads(hub, org, account_id=None, offset=0, limit=20)
    return render(
        request,
        "users.html",
        caller,
        org=org,
        page="users",
        accounts=page,
        sets=sets,
        total=total,
        offset=offset,
        size=PAGE,
        q=q or "",
        state=state or "",
        role=role or "",
        school=school or "",
        states=STATES,
        roles=ROLES,
        apps=vault.list_apps(hub, org),
        reads=reads,
        unlisted=unlisted,
    )


@router.post("/orgs/{slug}/users/{account}/credentials")
async def credential_replace(slug: str, account: str, request: Request, hub: HubDep) -> Response:
    _caller, org, form = await org_form(request, hub, slug)
    back = f"/orgs/{org.slug}/users?q={account}"
    app_key = str(form.get("app", ""))
    try:
        if form.get("clear"):
            vault.clear_credential(hub, org, account, app_key)
            return go_back(request, back, message="Credential cleared.")
        credential = vault.Credential(str(form.get("username", "")), str(form.get("password", "")))
        vault.set_credential(hub, org, account, app_key, credential)
    except RosterportError as error:
        return go_back(request, back, error=str(error))
    return go_back(request, back, message="Credential set.")
