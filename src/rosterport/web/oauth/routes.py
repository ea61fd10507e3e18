"""`POST /oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for OneRoster
API applications. Client authentication by HTTP Basic (or client_id/client_secret in the
form); answers a bearer token valid one hour, or an RFC 6749 error."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from rosterport.errors import OAuthError
from rosterport.services import api_apps
from rosterport.web.deps import hub_of

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _client(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as error:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from error
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401)
        return unquote(client_id), unquote(secret)
    if form.get("client_id") and form.get("client_secret"):
        return form["client_id"], form["client_secret"]
    raise OAuthError("invalid_client", "authenticate with HTTP Basic (client id, secret)", 401)


async def token(request: Request) -> JSONResponse:
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    try:
        client_id, secret = _client(request, form)
        issued, scopes = api_apps.issue_token(
            hub_of(request), client_id, secret, form.get("grant_type"), form.get("scope")
        )
    except OAuthError as error:
        headers = dict(NO_STORE)
        if error.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth"'
        return JSONResponse(
            {"error": error.error, "error_description": error.description},
            status_code=error.status,
            headers=headers,
        )
    return JSONResponse(
        {
            "access_token": issued,
            "token_type": "bearer",
            "expires_in": api_apps.TOKEN_SECONDS,
            "scope": " ".join(scopes),
        },
        headers=NO_STORE,
    )


def router() -> APIRouter:
    api = APIRouter(tags=["OAuth 2.0"])
    api.add_api_route("/oauth/token", token, methods=["POST"], name="oauth-token")
    return api
