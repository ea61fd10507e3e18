"""Version History: a dataset's versions (paged), retry / approve / discard / restore of one,
notifications marked read, and two versions compared."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from rosterport.domain.version_status import HELD
from rosterport.errors import RosterportError
from rosterport.services import history
from rosterport.services import versions as v
from rosterport.services.notifications import list_notifications, mark_read
from rosterport.web.admin.pages import (
    go_back,
    org_form,
    org_page,
    render,
)
from rosterport.web.api.versions import compare_json
from rosterport.web.deps import MAX_INT, HubDep, Id, QueryId
from rosterport.web.errors import HttpProblem

router = APIRouter(include_in_schema=False)
HISTORY_PAGE = 50


@router.get("/orgs/{slug}/history", response_class=HTMLResponse)
def history_page(
    slug: str,
    request: Request,
    hub: HubDep,
    page: Annotated[int, Query(ge=1, le=MAX_INT)] = 1,
) -> Response:
    caller, org = org_page(request, hub, slug)
    rows = history.history(hub, org, limit=HISTORY_PAGE + 1, offset=(page - 1) * HISTORY_PAGE)
    unread = list_notifications(hub, org, unread=True, limit=20)
    return render(
        request,
        "history.html",
        caller,
        org=org,
        rows=rows[:HISTORY_PAGE],
        more=len(rows) > HISTORY_PAGE,
        page_no=page,
        held=HELD,
        unread=unread,
        page="history",
    )


@router.post("/orgs/{slug}/versions/{version_id}/{action}")
async def version_action(
    slug: str, version_id: Id, action: str, request: Request, hub: HubDep
) -> Response:
    caller, org, form = await org_form(request, hub, slug)
    back = f"/orgs/{org.slug}" if form.get("back") == "home" else f"/orgs/{org.slug}/history"
    try:
        if action == "retry":
            v.retry_propagation(hub, org, version_id)
            return go_back(
                request,
                back,
                message=f"Version {version_id} is queued for propagation again: "
                "it shows Successfully in production once delivered.",
            )
        if action == "approve":
            v.approve(hub, org, version_id)
            return go_back(
                request, back, message=f"Version {version_id} approved: it is being committed."
            )
        if action == "discard":
            v.discard(hub, org, version_id)
            return go_back(request, back, message=f"Version {version_id} discarded.")
        if action == "restore":
            version, status, _ = history.restore(
                hub,
                org,
                version_id,
                committed_by=caller.who,
                source="web",
                allow_deletions=form.get("allow_deletions") == "yes",
            )
            return go_back(
                request,
                back,
                message=f"Version {version_id} restored as version {version}: {status}.",
            )
    except RosterportError as error:
        return go_back(request, back, error=str(error))
    raise HttpProblem(404, "not_found", "there is nothing at this address; check the link")


@router.post("/orgs/{slug}/notifications/read")
async def notifications_read(slug: str, request: Request, hub: HubDep) -> Response:
    _caller, org, form = await org_form(request, hub, slug)
    ids = [int(i) for i in str(form.get("ids", "")).split(",") if _is_id(i.strip())]
    mark_read(hub, org, ids)
    return go_back(request, f"/orgs/{org.slug}/history")


def _is_id(text: str) -> bool:
    """A positive id in ASCII digits that fits the databases' integers."""
    return text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_INT


@router.get("/orgs/{slug}/compare", response_class=HTMLResponse)
def compare_page(
    slug: str, request: Request, hub: HubDep, first: QueryId, second: QueryId
) -> Response:
    caller, org = org_page(request, hub, slug)
    result = compare_json(history.compare(hub, org, first, second), first, second)
    return render(request, "compare.html", caller, org=org, result=result, page="history")
