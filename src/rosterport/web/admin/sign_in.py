"""Signing in and out of the admin pages: the sign-in form (with its own form token, since
no session exists yet), rate-limited sign-in, sign-out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from rosterport.errors import RateLimitedError, SignInError
from rosterport.services import accounts
from rosterport.web.admin.pages import (
    checked_form,
    render,
    signed_in,
)
from rosterport.web.auth import COOKIE, client_address
from rosterport.web.deps import HubDep, SettingsDep
from rosterport.web.errors import classify

router = APIRouter(include_in_schema=False)
LOGIN_CSRF = "rosterport_login_csrf"


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
