"""What every admin page does: find who is signed in, render a template with the layout's
context, read a form with its CSRF token, and redirect back with a notice or an error (a
one-time notice, web/flash.py: never text in the URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from rosterport import logs
from rosterport.domain.preview import held_reason
from rosterport.domain.schemas import MODELS
from rosterport.services.organizations import Organization
from rosterport.web.auth import CSRF_FIELD, Caller, caller_of, check_csrf
from rosterport.web.errors import HttpProblem, log
from rosterport.web.flash import drop_notice, set_notice, take_notice

# a page that shows a secret (a new API token, a generated password) is not kept anywhere
NO_STORE = {"Cache-Control": "no-store"}

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["held_reason"] = held_reason  # why a version is Held, in words


def model_title(name: str) -> str:
    """A data model's title ("Passport Roster Data") for its internal id."""
    model = MODELS.get(name)
    return model.title if model else name


def inline_code(text: str) -> Markup:
    """Text written with markdown backticks (OpenAPI descriptions), backticks as <code>."""
    parts = str(escape(text)).split("`")
    return Markup(
        "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
        if len(parts) % 2
        else str(escape(text))  # an odd number of backticks: shown as written
    )


templates.env.globals["model_title"] = model_title
templates.env.filters["inline_code"] = inline_code


def signed_in(request: Request, hub: Any) -> Caller:
    """The signed-in browser's caller; otherwise a redirect to the sign-in page."""
    caller = caller_of(request, hub)
    if caller is None or caller.via != "web":
        raise HttpProblem(303, "sign_in", "/login?next=" + quote(request.url.path))
    return caller


def browser_caller(request: Request) -> Caller | None:
    """The signed-in browser's caller, if any (pages anyone may see)."""
    caller = caller_of(request, request.app.state.hub)
    return caller if caller is not None and caller.via == "web" else None


def render(
    request: Request,
    name: str,
    caller: Caller | None,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page `name`. It shows `notice`/`error` when given (a message of this answer),
    otherwise the one-time notice a form left for this page, if any."""
    hub = request.app.state.hub
    orgs = caller.orgs(hub) if caller else []
    left = take_notice(request)
    if notice is None and error is None:
        notice, error = left.notice, left.error
    page = templates.TemplateResponse(
        request,
        name,
        {
            "caller": caller,
            "orgs": orgs,
            "csrf": caller.csrf if caller else None,
            "csrf_field": CSRF_FIELD,
            "notice": notice,
            "error": error,
            **context,
        },
        status_code=status_code,
    )
    if left.drop:
        drop_notice(page)
    return page


def error_page(request: Request, problem: HttpProblem) -> Response:
    """The page for an error on an admin page (sign-in redirects are errors too)."""
    if problem.code == "sign_in":
        return RedirectResponse(problem.message, status_code=303)
    try:
        return render(
            request,
            "error.html",
            browser_caller(request),
            status_code=problem.status,
            problem=problem,
            request_id=logs.request_id.get(),
        )
    except Exception:  # the layout needs the database: say it in plain HTML instead
        log.exception("the error page could not be rendered")
        return HTMLResponse(
            f"<!doctype html><title>rosterport</title><p>{escape(problem.message)}</p>",
            status_code=problem.status,
        )


async def checked_form(request: Request, caller: Caller) -> dict[str, Any]:
    """The posted form, once its CSRF token is checked."""
    form = await request.form()
    presented = form.get(CSRF_FIELD)
    check_csrf(caller, presented if isinstance(presented, str) else None)
    return dict(form)


def org_page(request: Request, hub: Any, slug: str) -> tuple[Caller, Organization]:
    """The signed-in caller and the organization `slug` they administer (404 otherwise)."""
    caller = signed_in(request, hub)
    return caller, caller.org(hub, slug)


async def org_form(
    request: Request, hub: Any, slug: str
) -> tuple[Caller, Organization, dict[str, Any]]:
    """`org_page` for a posted form: the caller, then the form's CSRF token, then the
    organization are checked, in that order."""
    caller = signed_in(request, hub)
    form = await checked_form(request, caller)
    return caller, caller.org(hub, slug), form


def go_back(
    request: Request, url: str, message: str | None = None, error: str | None = None
) -> RedirectResponse:
    """Redirect (after a form) to `url`, which shows `message` or `error` once. The text
    is never put in the URL; never pass a secret here (show it on the POST's own page)."""
    response = RedirectResponse(url, status_code=303)
    set_notice(response, request, url, notice=message, error=None if message else error)
    return response


def percent(text: Any, name: str) -> float:
    """A share typed as a percentage ("10", "10%") → 0.10."""
    try:
        return float(str(text).strip().rstrip("%")) / 100
    except ValueError:
        raise HttpProblem(
            400, "invalid_input", f"the safeguard for {name} must be a number of percent, e.g. 10"
        ) from None
