"""Admin pages of the SFTP app's Sync Mode: Export — an application's server that receives
the roster as OneRoster 1.1 CSV (docs/sftp-export.md):

    /orgs/{slug}/apps/sftp-export            the exports, "Add export"
    /orgs/{slug}/apps/sftp-export/new        server, credentials, folder, schools, files,
                                             bulk/delta, schedule, zipped
    /orgs/{slug}/apps/sftp-export/{id}       its settings, Test Connection (with the host
                                             key's fingerprint to trust), Deliver now, the
                                             latest deliveries (files, sizes, SHA-256)

Forms save through the same services as the API (`web/api/sftp_exports.py`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from rosterport.errors import InputError, RosterportError
from rosterport.remote import Credentials
from rosterport.services import sftp_export as sx
from rosterport.services import sftp_export_targets as targets
from rosterport.services.organizations import Organization
from rosterport.web.admin.pages import go_back, org_form, org_page, render
from rosterport.web.auth import Caller
from rosterport.web.deps import HubDep, Id
from rosterport.web.errors import HttpProblem

router = APIRouter(include_in_schema=False)
SECRETS = {"password", "private_key"}  # never sent back in a page


def _base(slug: str) -> str:
    return f"/orgs/{slug}/apps/sftp-export"


def _settings(form: dict[str, Any]) -> targets.ExportSettings:
    use_home = form.get("use_home") == "on"
    return targets.ExportSettings(
        path="" if use_home else str(form.get("path", "")).strip(),
        schools=tuple(s.strip() for s in str(form.get("schools", "")).split(",") if s.strip()),
        files=str(form.get("files") or "full"),
        delta=form.get("delta") == "delta",
        schedule=(
            targets.AFTER_VERSION
            if form.get("when") != "time"
            else str(form.get("time") or "").strip()
        ),
        time_zone=str(form.get("time_zone") or "UTC").strip(),
        zipped=form.get("zipped") == "zip",
    )


def _credentials(form: dict[str, Any]) -> Credentials | None:
    password = str(form.get("password") or "") or None
    key = str(form.get("private_key") or "") or None
    if form.get("auth") == "key":
        password = None
    else:
        key = None
    return Credentials(password, key) if password or key else None


def _port(form: dict[str, Any]) -> int:
    text = str(form.get("port") or "22").strip()
    if text.isascii() and text.isdigit() and len(text) <= 5:
        return int(text)
    raise InputError(f"port {text!r}: give a whole number from 1 to 65535 (SFTP: 22)")


def _page(
    request: Request,
    caller: Caller,
    org: Organization,
    export: targets.Export | None,
    *,
    hub: Any,
    form: dict[str, Any] | None = None,
    error: str | None = None,
    report: dict[str, Any] | None = None,
) -> Response:
    typed = {k: str(v) for k, v in (form or {}).items() if k not in SECRETS}
    return render(
        request,
        "sftp_export.html",
        caller,
        status_code=400 if error else 200,
        error=error,
        org=org,
        export=export,
        deliveries=targets.runs(hub, export) if export else [],
        typed=typed,
        report=report,
        schema=targets.SCHEMA,
        page="apps",
    )


@router.get("/orgs/{slug}/apps/sftp-export", response_class=HTMLResponse)
def exports_page(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org = org_page(request, hub, slug)
    return render(
        request,
        "sftp_exports.html",
        caller,
        org=org,
        exports=targets.list_exports(hub, org),
        page="apps",
    )


@router.get("/orgs/{slug}/apps/sftp-export/new", response_class=HTMLResponse)
def new_page(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org = org_page(request, hub, slug)
    return _page(request, caller, org, None, hub=hub)


@router.post("/orgs/{slug}/apps/sftp-export/new")
async def create(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org, form = await org_form(request, hub, slug)
    try:
        credentials = _credentials(form)
        if credentials is None:
            raise InputError("give the server's password, or choose Key-based and a private key")
        made = targets.add_export(
            hub,
            org,
            host=str(form.get("host", "")),
            port=_port(form),
            username=str(form.get("username", "")),
            credentials=credentials,
            name=str(form.get("name", "")),
            settings=_settings(form),
        )
    except (RosterportError, HttpProblem) as error:
        return _page(request, caller, org, None, hub=hub, form=form, error=str(error))
    return go_back(
        request,
        f"{_base(org.slug)}/{made.id}",
        message="Export saved. Test the connection and confirm the server's host key.",
    )


@router.get("/orgs/{slug}/apps/sftp-export/{export_id}", response_class=HTMLResponse)
def export_page(slug: str, export_id: Id, request: Request, hub: HubDep) -> Response:
    caller, org = org_page(request, hub, slug)
    return _page(request, caller, org, targets.get_export(hub, org, export_id), hub=hub)


@router.post("/orgs/{slug}/apps/sftp-export/{export_id}")
async def save(slug: str, export_id: Id, request: Request, hub: HubDep) -> Response:
    caller, org, form = await org_form(request, hub, slug)
    export = targets.get_export(hub, org, export_id)
    try:
        targets.update_export(
            hub,
            export,
            settings=_settings(form),
            credentials=_credentials(form),
            enabled=form.get("enabled") == "on",
        )
    except (RosterportError, HttpProblem) as error:
        return _page(request, caller, org, export, hub=hub, form=form, error=str(error))
    return go_back(request, f"{_base(org.slug)}/{export.id}", message="Export saved.")


@router.post("/orgs/{slug}/apps/sftp-export/{export_id}/test", response_class=HTMLResponse)
async def test(slug: str, export_id: Id, request: Request, hub: HubDep) -> Response:
    caller, org, _ = await org_form(request, hub, slug)
    export = targets.get_export(hub, org, export_id)
    report = await targets.test_connection(hub, export)
    return _page(request, caller, org, export, hub=hub, report=report.to_json())


@router.post("/orgs/{slug}/apps/sftp-export/{export_id}/trust")
async def trust(slug: str, export_id: Id, request: Request, hub: HubDep) -> Response:
    caller, org, form = await org_form(request, hub, slug)
    export = targets.get_export(hub, org, export_id)
    try:
        await targets.trust_host_key(hub, export, str(form.get("fingerprint", "")))
    except RosterportError as error:
        return _page(request, caller, org, export, hub=hub, error=str(error))
    return go_back(request, f"{_base(org.slug)}/{export.id}", message="Host key pinned.")


@router.post("/orgs/{slug}/apps/sftp-export/{export_id}/run")
async def run(slug: str, export_id: Id, request: Request, hub: HubDep) -> Response:
    _caller, org, _ = await org_form(request, hub, slug)
    export = targets.get_export(hub, org, export_id)
    sx.run_now(hub, export)
    return go_back(
        request,
        f"{_base(org.slug)}/{export.id}",
        message="Delivery queued: the worker uploads it now; reload to see it below.",
    )
