"""What every admin page does: find who is signed in, render a template with the layout's
context, read a form with its CSRF token, and redirect back with a notice or an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from rosterport.web.auth import CSRF_FIELD, Caller, caller_of, check_csrf
from rosterport.web.errors import HttpProblem

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


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


def render(request: Request, name: str, caller: Caller | None, **context: Any) -> HTMLResponse:
    hub = request.app.state.hub
    orgs = caller.orgs(hub) if caller else []
    return templates.TemplateResponse(
        request,
        name,
        {
            "caller": caller,
            "orgs": orgs,
            "csrf": caller.csrf if caller else None,
            "csrf_field": CSRF_FIELD,
            **context,
        },
    )


def error_page(request: Request, problem: HttpProblem) -> Response:
    """The page for an error on an admin page (sign-in redirects are errors too)."""
    if problem.code == "sign_in":
        return RedirectResponse(problem.message, status_code=303)
    response = render(request, "error.html", browser_caller(request), problem=problem)
    response.status_code = problem.status
    return response


async def checked_form(request: Request, caller: Caller) -> dict[str, Any]:
    """The posted form, once its CSRF token is checked."""
    form = await request.form()
    presented = form.get(CSRF_FIELD)
    check_csrf(caller, presented if isinstance(presented, str) else None)
    return dict(form)


def go_back(url: str, message: str | None = None, error: str | None = None) -> RedirectResponse:
    """Redirect (after a form) to `url` with a notice or an error to show there."""
    sep = "&" if "?" in url else "?"
    if message:
        url += f"{sep}notice={quote(message)}"
    elif error:
        url += f"{sep}error={quote(error)}"
    return RedirectResponse(url, status_code=303)


def percent(text: Any, name: str) -> float:
    """A share typed as a percentage ("10", "10%") → 0.10."""
    try:
        return float(str(text).strip().rstrip("%")) / 100
    except ValueError:
        raise HttpProblem(
            400, "invalid_input", f"the safeguard for {name} must be a number of percent, e.g. 10"
        ) from None
