"""API: the change feed of an organization's roster (spec/roster-delivery.md §3), read with
an API application's bearer token (`POST /oauth/token`) or an administrator's API token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from rosterport.domain.events import COLLECTIONS
from rosterport.errors import CursorExpiredError, OrganizationNotFoundError
from rosterport.services import api_apps, events
from rosterport.services.organizations import Organization, get_org
from rosterport.web.auth import COOKIE, caller_of
from rosterport.web.deps import HubDep, settings_of
from rosterport.web.errors import HttpProblem
from rosterport.web.oneroster.routes import PREFIX as ONEROSTER

router = APIRouter(tags=["events"])


def _org(request: Request, hub: HubDep, slug: str) -> tuple[Organization, list[str]]:
    """The organization, if the caller's credentials belong to it (404 otherwise), and the
    collections the caller may not read (an application's scopes)."""
    try:
        org = get_org(hub, slug)
    except OrganizationNotFoundError:
        org = None
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer ") and request.cookies.get(COOKIE) is None:
        raise HttpProblem(
            401,
            "unauthenticated",
            "send an API application's token as 'Authorization: Bearer <token>' (POST "
            "/oauth/token with its client id and secret), or an administrator's API token",
        )
    app = api_apps.caller_of_token(hub, header[7:].strip()) if header else None
    if app is not None:
        if org is None or app.org_id != org.id:
            raise HttpProblem(404, "not_found", f"no organization {slug!r}")
        if app.schools is not None:
            raise HttpProblem(
                403,
                "forbidden",
                "the feed carries the whole organization's changes and this application is "
                "limited to some schools: read changes from the OneRoster API with "
                "filter=dateLastModified>'…' instead",
            )
        return org, [c for c in COLLECTIONS if not app.may_read(c)]
    admin = caller_of(request, hub)
    if admin is None:
        raise HttpProblem(401, "unauthenticated", "the token is unknown, expired or revoked")
    if org is None or not admin.may_reach(org):
        raise HttpProblem(404, "not_found", f"no organization {slug!r}")
    return org, []


@router.get(
    "/orgs/{slug}/events",
    summary="Change events of the roster after a cursor (the feed)",
    description="Events in increasing cursor order: `<collection>.created|updated|deleted` "
    "(`data` the object as the OneRoster API serves it, `previous` the old values of an "
    "update's changed fields) and `roster.loaded` for a first load. Read on from `next`. "
    "A cursor older than the retention answers 410 with a `current` cursor: re-read the "
    "roster from the OneRoster API, then follow the feed from it.",
    responses={410: {"description": "the cursor is older than the feed's retention"}},
)
def read_events(
    slug: str,
    request: Request,
    hub: HubDep,
    after: Annotated[str | None, Query(description="a cursor (`next`, an event's `id`)")] = None,
    limit: Annotated[int, Query(ge=1, le=events.MAX_LIMIT)] = events.DEFAULT_LIMIT,
    types: Annotated[str | None, Query(description="comma-separated event types")] = None,
) -> Any:
    org, hidden = _org(request, hub, slug)
    public = settings_of(request).public_url
    base = (public.rstrip("/") if public else str(request.base_url).rstrip("/")) + ONEROSTER
    chosen = [t.strip() for t in types.split(",") if t.strip()] if types else None
    try:
        page = events.read(
            hub, org.id, after=after, limit=limit, types=chosen, base=base, hidden=hidden
        )
    except CursorExpiredError as expired:
        return JSONResponse(
            {
                "error": {
                    "status": 410,
                    "code": "cursor_expired",
                    "message": str(expired),
                    "current": expired.current,
                }
            },
            status_code=410,
        )
    return {"events": page.events, "next": page.next, "has_more": page.has_more}
