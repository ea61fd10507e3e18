"""`create_app`: the web application — admin pages, REST API, static files, error handling —
and, when asked, the embedded worker that propagates committed versions."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rosterport import __version__, logs
from rosterport.bootstrap import SCRATCH, STALE_SCRATCH, build_worker
from rosterport.config import Settings
from rosterport.crypto import load_key
from rosterport.errors import RosterportError
from rosterport.services.hub import Hub
from rosterport.web import ops
from rosterport.web.admin import api_apps as api_app_pages
from rosterport.web.admin import (
    apps,
    deliveries,
    home,
    org_settings,
    orgs,
    pages,
    scim,
    sftp_export,
    sign_in,
    users,
    version_history,
)
from rosterport.web.admin import password_reset as reset_pages
from rosterport.web.api.routes import PREFIX, router
from rosterport.web.api.uploads import sweep_incoming
from rosterport.web.errors import HttpProblem, classify, envelope
from rosterport.web.flash import signing_key
from rosterport.web.oauth import routes as oauth
from rosterport.web.oneroster import routes as oneroster

STATIC = Path(__file__).parent / "admin" / "static"
Hook = Callable[[], Awaitable[None]]

# the pages load nothing from elsewhere: scripts and styles are the app's own files
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(
    hub: Hub,
    settings: Settings,
    *,
    worker: bool = True,
    on_start: Hook | None = None,
    on_stop: Hook | None = None,
) -> FastAPI:
    """The web application on `hub`. With `worker`, a background thread runs the job queue
    while the app runs (embedded mode); `on_start`/`on_stop` run other services beside it
    (the SFTP server)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sweep_incoming(settings.data_dir, hub.clock())  # what a killed server left behind
        sweep_incoming(settings.data_dir, hub.clock(), under=SCRATCH, stale=STALE_SCRATCH)
        stop = threading.Event()
        thread = None
        if worker:
            thread = threading.Thread(
                target=build_worker(hub, name="web").run, args=(stop,), daemon=True
            )
            thread.start()
        if on_start is not None:
            await on_start()
        try:
            yield
        finally:
            if on_stop is not None:
                await on_stop()
            stop.set()
            if thread is not None:
                thread.join(timeout=30)

    app = FastAPI(
        title="rosterport",
        version=__version__,
        description="Roster data hub for school districts: upload, validate, preview, commit "
        "and propagate roster CSV files. Authenticate with `Authorization: Bearer <token>` "
        "(create tokens in the admin UI under API tokens). Every error answers "
        '`{"error": {"status", "code", "message"}}`.',
        lifespan=lifespan,
        docs_url=None,  # the app's own page (home.api_docs): no scripts from a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.hub = hub
    app.state.settings = settings
    app.state.trusted_proxies = settings.proxy_networks()
    app.state.flash_key = signing_key(load_key(settings.secret_key, settings.data_dir))
    app.include_router(router())
    app.include_router(oneroster.router())
    app.include_router(oauth.router())
    for pages_router in (home, sign_in, orgs, version_history, org_settings):
        app.include_router(pages_router.router)
    app.include_router(apps.router)
    app.include_router(reset_pages.router)
    app.include_router(api_app_pages.router)
    app.include_router(deliveries.router)
    app.include_router(sftp_export.router)
    app.include_router(scim.router)
    app.include_router(users.router)
    app.include_router(ops.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_errors(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(RequestIds)  # outermost of ours: every line of a request carries it
    return app


class RequestIds:
    """Gives every HTTP request an id (the caller's `X-Request-ID` when it is a sane token),
    sets it for the log lines of the request, and returns it in the `X-Request-ID` header.

    Pure ASGI, so the request runs in this task's context: the id is still set when an
    unexpected error reaches Starlette's outermost handler (`problem` below), which logs the
    traceback and answers the 500 outside this middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id")
        rid = logs.new_request_id(incoming.decode("latin-1") if incoming else None)
        token = logs.request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[logs.REQUEST_ID_HEADER] = rid
            await send(message)

        await self.app(scope, receive, send_with_id)
        # reset only after a normal answer: after an error the id stays set for the handler
        # of the 500 (the request's task ends with it)
        logs.request_id.reset(token)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(PREFIX)


def _install_errors(app: FastAPI) -> None:
    async def problem(request: Request, error: Exception) -> Response:
        found = classify(error)
        if _is_api(request):
            response: Response = JSONResponse(envelope(found), status_code=found.status)
        else:
            response = pages.error_page(request, found)
        # an unexpected error is answered outside the middleware that adds these
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        request_id = logs.request_id.get()
        if request_id is not None:
            response.headers.setdefault(logs.REQUEST_ID_HEADER, request_id)
        return response

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        status = error.status_code
        message = (
            "there is nothing at this address; check the link"
            if status == 404
            else str(error.detail)
        )
        found = HttpProblem(status, "not_found" if status == 404 else "http_error", message)
        if request.url.path.startswith(oneroster.PREFIX):  # the binding's own error shape
            code = "unknownobject" if status == 404 else "invaliddata"
            return oneroster.problem(status, code, message)
        if _is_api(request):
            return JSONResponse(envelope(found), status_code=status)
        return pages.error_page(request, found)

    async def invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        details: list[dict[str, Any]] = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")}
            for e in error.errors()
        ]
        where = "; ".join(f"{d['where']}: {d['problem']}" for d in details)
        found = HttpProblem(
            422, "invalid_request", f"the request is not as this endpoint expects ({where})"
        )
        if _is_api(request):
            return JSONResponse(envelope(found, details), status_code=422)
        return pages.error_page(request, found)

    app.add_exception_handler(Exception, problem)
    app.add_exception_handler(RosterportError, problem)
    app.add_exception_handler(HttpProblem, problem)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
