"""Admin page of a version's delivery ledger (opened from the Version History): each
consumer's state, attempts, last status and error, next try; "Redeliver" for one failed
webhook endpoint or all of them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from rosterport.errors import RosterportError
from rosterport.services import ledger
from rosterport.web.admin.pages import go_back, org_form, org_page, render
from rosterport.web.deps import HubDep, Id

router = APIRouter(include_in_schema=False)


def _page(slug: str, version_id: int) -> str:
    return f"/orgs/{slug}/versions/{version_id}/deliveries"


@router.get("/orgs/{slug}/versions/{version_id}/deliveries", response_class=HTMLResponse)
def deliveries_page(slug: str, version_id: Id, request: Request, hub: HubDep) -> Response:
    caller, org = org_page(request, hub, slug)
    entries = ledger.entries(hub, org, version_id)
    return render(
        request,
        "deliveries.html",
        caller,
        org=org,
        version_id=version_id,
        entries=entries,
        failed=[e for e in entries if e.redeliverable],
        page="history",
    )


@router.post("/orgs/{slug}/versions/{version_id}/deliveries/redeliver")
async def redeliver(slug: str, version_id: Id, request: Request, hub: HubDep) -> Response:
    _caller, org, form = await org_form(request, hub, slug)
    back = _page(org.slug, version_id)
    chosen = str(form.get("endpoint_id", "")).strip()
    try:
        ids = [int(chosen)] if chosen.isdigit() else None
        done = ledger.redeliver(hub, org, version_id, ids)
    except RosterportError as error:
        return go_back(request, back, error=str(error))
    if not done:
        return go_back(request, back, error="No delivery of this version has failed.")
    count = f"{len(done)} endpoint{'' if len(done) == 1 else 's'}"
    return go_back(
        request, back, message=f"Version {version_id} is being delivered again to {count}."
    )
