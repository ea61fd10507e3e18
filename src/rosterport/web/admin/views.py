"""Admin pages. Each handler checks who is signed in, calls services, renders a template.

Forms post back with the session's CSRF token; the upload tool's script calls the REST API
with the same token in a header. Pages for another organization answer 404, as the API does.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from rosterport.domain.issues import CATALOGUE, RECORD_ISSUES
from rosterport.domain.schemas import MODELS
from rosterport.domain.version_status import HELD
from rosterport.errors import RateLimitedError, RosterportError, SignInError
from rosterport.services import accounts, history
from rosterport.services import versions as v
from rosterport.services.dashboard import dashboard
from rosterport.services.notifications import list_notifications, mark_read
from rosterport.services.organizations import (
    checked_settings,
    create_org,
    update_settings,
)
from rosterport.web.admin.pages import (
    NO_STORE,
    browser_caller,
    checked_form,
    go_back,
    percent,
    render,
    signed_in,
)
from rosterport.web.api.versions import compare_json
from rosterport.web.auth import COOKIE, client_address
from rosterport.web.deps import MAX_INT, HubDep, Id, QueryId, SettingsDep
from rosterport.web.errors import HttpProblem, classify

router = APIRouter(include_in_schema=False)
LOGIN_CSRF = "rosterport_login_csrf"
STATIC = Path(__file__).parent / "static"
HISTORY_PAGE = 50


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


# -- signing in ---------------------------------------------------------------------------


def _login_form(
    request: Request, next: str, *, error: str | None = None, status_code: int = 200
) -> Response:
    """The sign-in form with a fresh form token (the page answers a failed sign-in too, so
    its message comes from this request, never from the URL)."""
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        error=error,
        next=next,
        login_csrf=token,
    )
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return _login_form(request, next)


@router.post("/login")
def login(
    request: Request,
    hub: HubDep,
    settings: SettingsDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    login_csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not secrets.compare_digest(expected, login_csrf):
        return _login_form(
            request, next, error="The sign-in form expired; please try again.", status_code=400
        )
    try:
        token = accounts.sign_in(
            hub,
            email,
            password,
            address=client_address(request, request.app.state.trusted_proxies),
            limit=settings.login_attempts,
            hours=settings.login_hours,
        )
    except (SignInError, RateLimitedError) as error:
        found = classify(error)
        message = found.message[:1].upper() + found.message[1:] + "."
        return _login_form(request, next, error=message, status_code=found.status)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.login_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
async def logout(request: Request, hub: HubDep) -> Response:
    caller = signed_in(request, hub)
    await checked_form(request, caller)
    token = request.cookies.get(COOKIE)
    if token:
        accounts.sign_out(hub, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
def home(request: Request, hub: HubDep) -> Response:
    caller = signed_in(request, hub)
    orgs = caller.orgs(hub)
    if caller.is_platform or len(orgs) != 1:
        return RedirectResponse("/orgs", status_code=303)
    return RedirectResponse(f"/orgs/{orgs[0].slug}", status_code=303)


# -- organizations (platform administrators) ------------------------------------------------


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


# -- an organization's home ---------------------------------------------------------------


@router.get("/orgs/{slug}", response_class=HTMLResponse)
def home_page(slug: str, request: Request, hub: HubDep) -> Response:
    """The organization's dashboard, where an administrator lands after signing in."""
    caller = signed_in(request, hub)
    org = caller.org(hub, slug)
    return render(
        request, "home.html", caller, org=org, board=dashboard(hub, org), held=HELD, page="home"
    )


# -- the CSV upload tool ------------------------------------------------------------------


@router.get("/orgs/{slug}/upload", response_class=HTMLResponse)
def upload_page(slug: str, request: Request, hub: HubDep, settings: SettingsDep) -> Response:
    caller = signed_in(request, hub)
    org = caller.org(hub, slug)
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


# -- version history ----------------------------------------------------------------------


@router.get("/orgs/{slug}/history", response_class=HTMLResponse)
def history_page(
    slug: str,
    request: Request,
    hub: HubDep,
    page: Annotated[int, Query(ge=1, le=MAX_INT)] = 1,
) -> Response:
    caller = signed_in(request, hub)
    org = caller.org(hub, slug)
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
    caller = signed_in(request, hub)
    form = await checked_form(request, caller)
    org = caller.org(hub, slug)
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
    caller = signed_in(request, hub)
    form = await checked_form(request, caller)
    org = caller.org(hub, slug)
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
    caller = signed_in(request, hub)
    org = caller.org(hub, slug)
    result = compare_json(history.compare(hub, org, first, second), first, second)
    return render(request, "compare.html", caller, org=org, result=result, page="history")


# -- settings and API tokens --------------------------------------------------------------


@router.get("/orgs/{slug}/settings", response_class=HTMLResponse)
def settings_page(slug: str, request: Request, hub: HubDep) -> Response:
    caller = signed_in(request, hub)
    org = caller.org(hub, slug)
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
    caller = signed_in(request, hub)
    form = await checked_form(request, caller)
    org = caller.org(hub, slug)
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
    caller = signed_in(request, hub)
    org = caller.org(hub, slug)
    return render(
        request,
        "tokens.html",
        caller,
        org=org,
        tokens=accounts.list_tokens(hub, org),
        page="tokens",
    )


@router.post("/orgs/{slug}/tokens")
async def tokens_create(slug: str, request: Request, hub: HubDep) -> Response:
    caller = signed_in(request, hub)
    form = await checked_form(request, caller)
    org = caller.org(hub, slug)
    back = f"/orgs/{org.slug}/tokens"
    name = str(form.get("name", ""))
    try:
        token = accounts.create_token(hub, org, caller.account, name)
    except RosterportError as error:
        return go_back(request, back, error=str(error))
    # the token is shown here, in the answer to this POST, and nowhere else: not in a
    # redirect's URL (access logs, history) nor in a cookie
    page = render(
        request,
        "tokens.html",
        caller,
        org=org,
        tokens=accounts.list_tokens(hub, org),
        page="tokens",
        new_token=token,
        new_token_name=name.strip(),
    )
    page.headers.update(NO_STORE)
    return page


@router.post("/orgs/{slug}/tokens/{token_id}/revoke")
async def tokens_revoke(slug: str, token_id: Id, request: Request, hub: HubDep) -> Response:
    caller = signed_in(request, hub)
    await checked_form(request, caller)
    org = caller.org(hub, slug)
    accounts.revoke_token(hub, org, token_id)
    return go_back(request, f"/orgs/{org.slug}/tokens", message="Token revoked.")
