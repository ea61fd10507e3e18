"""The admin pages people land on: the site's icon, the API's docs page, where a signed-in
person goes first, an organization's Home (its dashboard) and its CSV upload tool.

Every admin page checks who is signed in, calls services and renders a template; forms post
back with the session's CSRF token; the upload tool's script calls the REST API with the same
token in a header. Pages for another organization answer 404, as the API does. The other pages
are their own modules beside this one (sign_in, orgs, version_history, org_settings, apps, users …).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from rosterport.domain.schemas import MODELS
from rosterport.domain.version_status import HELD
from rosterport.services.dashboard import dashboard
from rosterport.web.admin.pages import (
    browser_caller,
    org_page,
    render,
    signed_in,
)
from rosterport.web.deps import HubDep, SettingsDep

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"


@router.get("/favicon.ico")
def favicon() -> Response:
    """The tab's icon (browsers ask for it at this address), an SVG of the app's own."""
    return FileResponse(
        STATIC / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """A readable page of the OpenAPI document, rendered here (no scripts from elsewhere)."""
    spec = request.app.openapi()
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]
    return render(
        request,
        "api_docs.html",
        browser_caller(request),
        spec=spec,
        operations=operations,
    )


@router.get("/")
def home(request: Request, hub: HubDep) -> Response:
    caller = signed_in(request, hub)
    orgs = caller.orgs(hub)
    if caller.is_platform or len(orgs) != 1:
        return RedirectResponse("/orgs", status_code=303)
    return RedirectResponse(f"/orgs/{orgs[0].slug}", status_code=303)


# -- an organization's home ---------------------------------------------------------------


@router.get("/orgs/{slug}", response_class=HTMLResponse)
def home_page(slug: str, request: Request, hub: HubDep) -> Response:
    """The organization's dashboard, where an administrator lands after signing in."""
    caller, org = org_page(request, hub, slug)
    return render(
        request, "home.html", caller, org=org, board=dashboard(hub, org), held=HELD, page="home"
    )


# -- the CSV upload tool ------------------------------------------------------------------


@router.get("/orgs/{slug}/upload", response_class=HTMLResponse)
def upload_page(slug: str, request: Request, hub: HubDep, settings: SettingsDep) -> Response:
    caller, org = org_page(request, hub, slug)
    models = [MODELS[m] for m in org.settings.models if m in MODELS]
    return render(
        request,
        "upload.html",
        caller,
        org=org,
        models=models,
        max_upload_mb=settings.max_upload_mb,
        page="upload",
    )
