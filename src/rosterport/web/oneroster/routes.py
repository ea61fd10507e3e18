"""Routes of the OneRoster 1.1 REST binding: parse the request, call services/roster_api.py,
present the envelope, paging headers and `statusInfoSet` errors.

Every endpoint is GET and authenticated by an application's bearer token
(`POST /oauth/token`, client credentials) or by an OAuth 1.0a signature."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from rosterport.domain import oneroster_query as q
from rosterport.errors import ApiProblem
from rosterport.services import api_apps, roster_api
from rosterport.services.api_apps import AppCaller
from rosterport.services.roster_api import CLASS_IN_SCHOOL, KINDS, NESTED
from rosterport.web.deps import hub_of, settings_of
from rosterport.web.oauth import oauth1

PREFIX = "/ims/oneroster/v1p1"


def problem(
    status: int, code: str, description: str, retry_after: int | None = None
) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="oneroster"'} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(q.status_info(code, description), status_code=status, headers=headers)


def _signed_uri(request: Request) -> str:
    """The address the client signed: ROSTERPORT_PUBLIC_URL's origin when set (behind a
    proxy), else the request's."""
    public = settings_of(request).public_url
    if not public:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public.rstrip("/") + request.url.path + query


def _caller(request: Request) -> AppCaller:
    caller = _authenticated(request)
    wait = api_apps.retry_after(hub_of(request), caller, settings_of(request).api_rate_per_minute)
    if wait is not None:
        raise ApiProblem(
            429, "rate_limited", f"too many requests from this application; retry in {wait} s"
        ).waiting(wait)
    return caller


def _authenticated(request: Request) -> AppCaller:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("oauth ") or "oauth_signature" in request.query_params:
        signed = oauth1.signed_caller(
            hub_of(request), _signed_uri(request), request.method, dict(request.headers)
        )
        if signed is None:
            raise ApiProblem(
                401,
                "unauthorisedrequest",
                "the OAuth 1.0a signature is invalid, its timestamp is more than 10 minutes "
                "off, or its nonce was used before",
            )
        return signed
    if not header.lower().startswith("bearer "):
        raise ApiProblem(
            401,
            "unauthorisedrequest",
            "send 'Authorization: Bearer <token>' (get one from POST /oauth/token with the "
            "application's client id and secret)",
        )
    caller = api_apps.caller_of_token(hub_of(request), header[7:].strip())
    if caller is None:
        raise ApiProblem(401, "unauthorisedrequest", "the token is unknown, expired or revoked")
    return caller


def _base(request: Request) -> str:
    public = settings_of(request).public_url
    root = public.rstrip("/") if public else str(request.base_url).rstrip("/")
    return root + PREFIX


def _list_handler(shape: tuple[str, ...]) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        try:
            caller = _caller(request)
            ids = dict(request.path_params)
            path = tuple(
                ids.get(part[1:-1], part) if part.startswith("{") else part for part in shape
            )
            params = dict(request.query_params)
            base = _base(request)
            answer = roster_api.listing(hub_of(request), caller, path, params, base)
        except ApiProblem as error:
            return problem(error.status, error.code, error.description, error.retry_after)
        assert answer.total is not None
        paging = {k: v for k, v in params.items() if k not in ("limit", "offset")}
        url = _base(request) + request.url.path.removeprefix(PREFIX)
        links = q.paging_links(
            url, paging, total=answer.total, limit=answer.limit, offset=answer.offset
        )
        return JSONResponse(
            {answer.key: answer.body},
            headers={"X-Total-Count": str(answer.total), "Link": links},
        )

    return handler


def _one_handler(name: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        try:
            caller = _caller(request)
            answer = roster_api.one(
                hub_of(request),
                caller,
                name,
                request.path_params["sourced_id"],
                params=dict(request.query_params),
                base=_base(request),
            )
        except ApiProblem as error:
            return problem(error.status, error.code, error.description, error.retry_after)
        return JSONResponse({answer.key: answer.body})

    return handler


def router() -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["OneRoster 1.1"])
    for name in KINDS:
        api.add_api_route(f"/{name}", _list_handler((name,)), methods=["GET"], name=name)
        api.add_api_route(
            f"/{name}/{{sourced_id}}", _one_handler(name), methods=["GET"], name=f"{name}-one"
        )
    for parent, child in NESTED:
        api.add_api_route(
            f"/{parent}/{{parent_id}}/{child}",
            _list_handler((parent, "{parent_id}", child)),
            methods=["GET"],
            name=f"{parent}-{child}",
        )
    for child in CLASS_IN_SCHOOL:
        api.add_api_route(
            f"/schools/{{school_id}}/classes/{{class_id}}/{child}",
            _list_handler(("schools", "{school_id}", "classes", "{class_id}", child)),
            methods=["GET"],
            name=f"schools-classes-{child}",
        )
    return api
