"""FastAPI dependencies shared by the API and the admin pages: the hub, the settings, the
caller, and the bounded integers of paths and queries."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from rosterport.config import Settings
from rosterport.reports.issue_file import IssueQuery
from rosterport.services.hub import Hub
from rosterport.web.auth import CSRF_HEADER, SAFE_METHODS, Caller, caller_of, check_csrf
from rosterport.web.errors import HttpProblem


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def api_caller(request: Request, hub: Annotated[Hub, Depends(hub_of)]) -> Caller:
    """The API's caller: a bearer token, or a signed-in browser sending its CSRF token with
    every state-changing request (the upload tool's script calls the API that way)."""
    caller = caller_of(request, hub)
    if caller is None:
        raise HttpProblem(
            401,
            "unauthenticated",
            "sign in, or send an API token as 'Authorization: Bearer <token>' "
            "(create one on the API tokens page of the admin UI)",
        )
    if request.method not in SAFE_METHODS:
        check_csrf(caller, request.headers.get(CSRF_HEADER))
    return caller


# Every integer a client sends is bounded before it reaches a service: ids are positive and
# fit the databases' integer columns (SQLite refuses a larger one with OverflowError, which
# would be a 500); a larger number is refused as an invalid request (422, the error shape).
MAX_INT = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_INT, description="a positive id")]
QueryId = Annotated[int, Query(ge=1, le=MAX_INT, description="a positive id")]
Offset = Annotated[int, Query(ge=0, le=MAX_INT, description="rows to skip")]
Limit = Annotated[int, Query(ge=0, le=MAX_INT, description="rows to answer at most")]

HubDep = Annotated[Hub, Depends(hub_of)]
SettingsDep = Annotated[Settings, Depends(settings_of)]
CallerDep = Annotated[Caller, Depends(api_caller)]


def issue_query(
    offset: Offset = 0,
    limit: Limit = 100,
    file: str | None = None,
    column: str | None = None,
    code: str | None = None,
    level: str | None = None,
) -> IssueQuery:
    """A page of stored issues from the query string: `offset`, `limit` and the filters."""
    return IssueQuery(offset, limit, file, column, code, level)


IssueQueryDep = Annotated[IssueQuery, Depends(issue_query)]
