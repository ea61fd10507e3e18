"""Forgotten password: "Forgot your password?" on the sign-in page → the e-mail address →
a reset link by e-mail (when an SMTP server is configured) or the advice to ask an operator
for a code (`rosterport admin reset-password`) → the reset page (link, or address + code)
→ a new password, then sign in.

The request's answer is the same page whether or not the address has an account, and the
e-mail goes out after the answer (a background task), so neither its text nor its time
tells the two apart. Both forms carry a form token of their own (a cookie and a field), as
the sign-in form does: nobody is signed in yet.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request, Response
from fastapi.responses import HTMLResponse

from rosterport.config import Settings
from rosterport.errors import RosterportError
from rosterport.services import password_resets as resets
from rosterport.services.accounts import MIN_PASSWORD
from rosterport.services.notifications import SmtpMailer
from rosterport.web.admin.pages import NO_STORE, go_back, render
from rosterport.web.auth import client_address
from rosterport.web.deps import HubDep, SettingsDep
from rosterport.web.errors import classify

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
FORM_COOKIE = "rosterport_reset_csrf"
EXPIRED = "The form expired; please try again."


def _sentence(error: Exception) -> str:
    message = classify(error).message
    return message[:1].upper() + message[1:] + "."


def _with_form_token(response: Response, token: str) -> Response:
    response.set_cookie(FORM_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
    response.headers.update(NO_STORE)  # a page with a reset token is not kept anywhere
    return response


def _form_ok(request: Request, presented: str) -> bool:
    expected = request.cookies.get(FORM_COOKIE, "")
    return bool(expected) and secrets.compare_digest(expected, presented)


def _forgot_form(
    request: Request,
    settings: Settings,
    *,
    sent_to: str | None = None,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    token = secrets.token_urlsafe(24)
    page = render(
        request,
        "forgot_password.html",
        None,
        status_code=status_code,
        error=error,
        form_token=token,
        mail=bool(settings.smtp_host),
        sent_to=sent_to,
        email=email,
        minutes=resets.RESET_MINUTES,
    )
    return _with_form_token(page, token)


@router.get("/forgot-password", response_class=HTMLResponse)
def forgot_page(request: Request, settings: SettingsDep) -> Response:
    return _forgot_form(request, settings)


def _base_url(settings: Settings) -> str:
    """The instance's own address from the settings, never from the request's Host header
    (a forged Host would otherwise put an attacker's site in the e-mailed link)."""
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def _send(settings: Settings, issued: resets.Issued) -> None:
    link = _base_url(settings) + issued.path
    body = "\n".join(
        [
            "Someone (we hope you) asked to reset the password of your rosterport account.",
            "",
            f"Choose a new password here within {resets.RESET_MINUTES} minutes:",
            link,
            "",
            f"Or enter this code with your e-mail address on {_base_url(settings)}"
            f"{resets.RESET_PATH}: {resets.shown_code(issued.code)}",
            "",
            "If you did not ask for this, ignore this message: your password stays as it is.",
        ]
    )
    try:
        SmtpMailer(settings).send([issued.email], "rosterport: reset your password", body)
    except (OSError, smtplib.SMTPException) as error:  # logged for the operator, not shown
        log.warning("could not e-mail a password reset (%s)", type(error).__name__)


@router.post("/forgot-password")
def forgot(
    request: Request,
    hub: HubDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    email: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form()] = "",
) -> Response:
    if not _form_ok(request, form_token):
        return _forgot_form(request, settings, email=email, error=EXPIRED, status_code=400)
    if not settings.smtp_host:
        return _forgot_form(request, settings, sent_to=email.strip())
    try:
        issued = resets.request_reset(
            hub,
            email,
            address=client_address(request, request.app.state.trusted_proxies),
            limit=settings.login_attempts,
        )
    except RosterportError as error:
        found = classify(error)
        return _forgot_form(
            request, settings, email=email, error=_sentence(error), status_code=found.status
        )
    if issued is not None:
        background.add_task(_send, settings, issued)  # after the answer: same time for all
    return _forgot_form(request, settings, sent_to=email.strip())


def _reset_form(
    request: Request,
    *,
    token: str = "",
    email: str = "",
    code: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    form_token = secrets.token_urlsafe(24)
    page = render(
        request,
        "reset_password.html",
        None,
        status_code=status_code,
        error=error,
        form_token=form_token,
        token=token,
        email=email,
        code=code,
        min_password=MIN_PASSWORD,
    )
    return _with_form_token(page, form_token)


@router.get("/reset-password", response_class=HTMLResponse)
def reset_page(request: Request, token: str = "") -> Response:
    return _reset_form(request, token=token[:200])


@router.post("/reset-password")
def reset(
    request: Request,
    hub: HubDep,
    settings: SettingsDep,
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form()] = "",
) -> Response:
    token, email, code = token[:200], email[:320], code[:40]  # echoed back: kept short
    if not _form_ok(request, form_token):
        return _reset_form(
            request, token=token, email=email, code=code, error=EXPIRED, status_code=400
        )
    if password != confirm:
        return _reset_form(
            request,
            token=token,
            email=email,
            code=code,
            error="The two passwords differ; type the same one twice.",
            status_code=400,
        )
    address = client_address(request, request.app.state.trusted_proxies)
    try:
        if token:
            resets.reset_with_token(
                hub, token, password, address=address, limit=settings.login_attempts
            )
        else:
            resets.reset_with_code(
                hub, email, code, password, address=address, limit=settings.login_attempts
            )
    except RosterportError as error:
        found = classify(error)
        return _reset_form(
            request,
            token=token,
            email=email,
            code=code,
            error=_sentence(error),
            status_code=found.status,
        )
    response = go_back(
        request, "/login", message="Your password is changed. Sign in with the new one."
    )
    response.delete_cookie(FORM_COOKIE)
    return response
