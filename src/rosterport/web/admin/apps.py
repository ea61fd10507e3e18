"""Admin pages of the Application Gallery and its SFTP app:

    Activate → Sync Mode (Import) + Delivery Config → Schools Mapping → Attributes Mapping
    → Data Requirements → Finish Configuration

Each step is a form that saves through the same services as the API
(`web/api/integrations.py`); Test Connection is done by the page's script through the API.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from rosterport.config import Settings
from rosterport.domain.issues import CATALOGUE, RECORD_ISSUES
from rosterport.domain.mappings import CREATE
from rosterport.domain.schemas import MODELS
from rosterport.errors import RosterportError
from rosterport.remote import Credentials
from rosterport.services import hosted_accounts
from rosterport.services import integration_setup as setup
from rosterport.services import integrations as ints
from rosterport.services.notifications import list_notifications
from rosterport.services.organizations import Organization
from rosterport.web.admin.pages import (
    go_back,
    org_form,
    org_page,
    percent,
    render,
)
from rosterport.web.auth import Caller
from rosterport.web.deps import HubDep, Id, SettingsDep
from rosterport.web.errors import HttpProblem, classify
from rosterport.web.sftp_delivery import (
    MAX_INTERVAL,
    MAX_PORT,
    Advanced,
    Delivery,
    create_integration,
    hosted_address,
    settings_from,
)

router = APIRouter(include_in_schema=False)
STEPS = (
    ("delivery", "Delivery Config"),
    ("schools", "Schools Mapping"),
    ("attributes", "Attributes Mapping"),
    ("requirements", "Data Requirements"),
    ("finish", "Finish Configuration"),
)


def _base(slug: str, integration_id: int) -> str:
    return f"/orgs/{slug}/apps/sftp/{integration_id}"


@router.get("/orgs/{slug}/apps", response_class=HTMLResponse)
def gallery(
    slug: str,
    request: Request,
    hub: HubDep,
    settings: SettingsDep,
) -> Response:
    caller, org = org_page(request, hub, slug)
    return render(
        request,
        "apps.html",
        caller,
        org=org,
        integrations=ints.list_integrations(hub, org),
        notifications=list_notifications(hub, org, limit=20),
        hosted=hosted_address(settings),
        page="apps",
    )


def _delivery_context(integration: ints.Integration | None) -> dict[str, Any]:
    return {
        "integration": integration,
        "models": list(MODELS.values()),
        "issue_types": [CATALOGUE[c] for c in RECORD_ISSUES],
        "steps": STEPS,
        "step": "delivery",
    }


def _delivery_page(
    request: Request,
    caller: Caller,
    org: Organization,
    settings: Settings,
    integration: ints.Integration | None,
) -> Response:
    """The Delivery Config step of a new (None) or saved integration."""
    return render(
        request,
        "sftp_delivery.html",
        caller,
        org=org,
        hosted=hosted_address(settings),
        page="apps",
        **_delivery_context(integration),
    )


@router.get("/orgs/{slug}/apps/sftp/new", response_class=HTMLResponse)
def new_page(slug: str, request: Request, hub: HubDep, settings: SettingsDep) -> Response:
    caller, org = org_page(request, hub, slug)
    return _delivery_page(request, caller, org, settings, None)


class FieldProblem(HttpProblem):
    """A value typed in one field of a form that cannot be used: the form is shown again,
    as typed, with the message next to that field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(400, "invalid_input", message)
        self.field = field


SECRETS = {"password", "public_key", "private_key"}  # never sent back in a page


def _typed(form: dict[str, Any]) -> dict[str, str]:
    """What was typed in the form, to show it again (secrets left out)."""
    return {k: str(v) for k, v in form.items() if k not in SECRETS and isinstance(v, str)}


def _whole(form: dict[str, Any], key: str, default: int, most: int, what: str) -> int:
    """A whole number typed in a form, from 1 to `most`; otherwise a message saying so."""
    text = str(form.get(key) or default).strip()
    if text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= most:
        return int(text)
    raise FieldProblem(key, f"{what} must be a whole number from 1 to {most}, e.g. {default}")


def _share(form: dict[str, Any], key: str, what: str) -> float | None:
    """A percentage typed in a form (empty: None)."""
    text = str(form.get(key, "")).strip()
    if not text:
        return None
    try:
        return percent(text, what)
    except HttpProblem as problem:
        raise FieldProblem(key, problem.message) from None


def _advanced(form: dict[str, Any]) -> Advanced:
    return Advanced(
        mode=str(form.get("mode") or "") or None,
        levels={
            code: str(form[f"level-{code}"]) for code in RECORD_ISSUES if form.get(f"level-{code}")
        },
        default_threshold=_share(form, "default_threshold", "every file"),
        interval_minutes=_whole(
            form, "interval_minutes", 1440, MAX_INTERVAL, "the pull interval (minutes)"
        ),
        pattern=str(form.get("pattern") or "*").strip(),
        after=str(form.get("after") or "keep"),
        move_to=str(form.get("move_to") or "processed").strip(),
        notify=[a.strip() for a in str(form.get("notify", "")).split(",") if a.strip()],
    )


def _delivery(form: dict[str, Any]) -> Delivery:
    use_home = form.get("use_home") == "on"
    port = _whole(form, "port", 22, MAX_PORT, "the port")
    return Delivery(
        server=str(form.get("server", "hosted")),
        model=str(form.get("model", "passport-roster")),
        username=str(form.get("username", "")).strip(),
        auth=str(form.get("auth", "password")),
        password=str(form.get("password") or "") or None,
        public_key=str(form.get("public_key") or "") or None,
        private_key=str(form.get("private_key") or "") or None,
        host=str(form.get("host") or "").strip() or None,
        port=port,
        path="" if use_home else str(form.get("path", "")).strip(),
        advanced=_advanced(form),
    )


@router.post("/orgs/{slug}/apps/sftp/new")
async def create(slug: str, request: Request, hub: HubDep) -> Response:
    caller, org, form = await org_form(request, hub, slug)
    try:
        made = create_integration(hub, org, _delivery(form))
    except (RosterportError, HttpProblem, ValueError) as error:
        return _form_again(request, caller, org, None, form, error)
    return go_back(request, f"{_base(org.slug, made.id)}/schools", message="Delivery Config saved.")


@router.get("/orgs/{slug}/apps/sftp/{integration_id}", response_class=HTMLResponse)
def delivery_page(
    slug: str,
    integration_id: Id,
    request: Request,
    hub: HubDep,
    settings: SettingsDep,
) -> Response:
    caller, org = org_page(request, hub, slug)
    integration = ints.get_integration(hub, org, integration_id)
    return _delivery_page(request, caller, org, settings, integration)


@router.post("/orgs/{slug}/apps/sftp/{integration_id}")
async def delivery_save(slug: str, integration_id: Id, request: Request, hub: HubDep) -> Response:
    caller, org, form = await org_form(request, hub, slug)
    integration = ints.get_integration(hub, org, integration_id)
    base = _base(org.slug, integration.id)
    try:
        body = _delivery(form)
        settings = settings_from(body, configured=integration.settings.configured)
        kept = integration.settings
        ints.update_integration(hub, integration, settings=_with_mappings(settings, kept))
        if integration.kind == ints.HOSTED and (body.password or body.public_key):
            hosted_accounts.set_hosted_credentials(
                hub, integration, password=body.password, public_keys=body.public_key
            )
        if integration.kind == ints.PULL and (body.password or body.private_key):
            ints.update_integration(
                hub,
                integration,
                credentials=Credentials(body.password, body.private_key),
            )
    except (RosterportError, HttpProblem, ValueError) as error:
        return _form_again(request, caller, org, integration, form, error)
    return go_back(request, base, message="Delivery Config saved.")


def _form_again(
    request: Request,
    caller: Caller,
    org: Organization,
    integration: ints.Integration | None,
    form: dict[str, Any],
    error: Exception,
) -> Response:
    """The Delivery Config form again, as typed (secrets aside), saying what is wrong: next
    to the field when one field is at fault. Never a redirect: nothing typed is lost."""
    found = classify(error)
    message = found.message[:1].upper() + found.message[1:] + "."
    field = error.field if isinstance(error, FieldProblem) else None
    return render(
        request,
        "sftp_delivery.html",
        caller,
        status_code=found.status if 400 <= found.status < 500 else 400,
        error=message,
        org=org,
        hosted=hosted_address(request.app.state.settings),
        page="apps",
        typed=_typed(form),
        field_errors={field: message} if field else {},
        **_delivery_context(integration),
    )


def _with_mappings(
    settings: ints.IntegrationSettings, kept: ints.IntegrationSettings
) -> ints.IntegrationSettings:
    """New delivery settings that keep the mappings and requirements made in later steps."""
    return replace(
        settings,
        schools=kept.schools,
        source_schools=kept.source_schools,
        columns=kept.columns,
        requirements=kept.requirements,
    )


@router.get("/orgs/{slug}/apps/sftp/{integration_id}/{step}", response_class=HTMLResponse)
def step_page(
    slug: str,
    integration_id: Id,
    step: str,
    request: Request,
    hub: HubDep,
) -> Response:
    caller, org = org_page(request, hub, slug)
    integration = ints.get_integration(hub, org, integration_id)
    if step not in {s for s, _ in STEPS[1:]}:
        raise HttpProblem(404, "not_found", "there is nothing at this address; check the link")
    context: dict[str, Any] = {
        "org": org,
        "integration": integration,
        "steps": STEPS,
        "step": step,
        "page": "apps",
        "create": CREATE,
    }
    if step == "schools":
        context["rows"] = setup.school_rows(integration)
        context["schools"] = setup.existing_schools(hub, org, integration.model)
    elif step == "attributes":
        context["files"] = setup.attribute_files(integration)
    elif step == "requirements":
        context["optional"] = setup.optional_attributes(integration)
    return render(request, f"sftp_{step}.html", caller, **context)


@router.post("/orgs/{slug}/apps/sftp/{integration_id}/{step}")
async def step_save(
    slug: str, integration_id: Id, step: str, request: Request, hub: HubDep
) -> Response:
    _caller, org, form = await org_form(request, hub, slug)
    integration = ints.get_integration(hub, org, integration_id)
    base = _base(org.slug, integration.id)
    nexts = {s: STEPS[i + 1][0] for i, (s, _) in enumerate(STEPS[:-1])}
    try:
        if step == "schools" and "source" in form:
            upload = form["source"]
            data = await upload.read() if hasattr(upload, "read") else b""
            setup.load_source_schools(hub, org, integration, upload.filename or "orgs.csv", data)
            return go_back(
                request, f"{base}/schools", message="Schools read and mapped automatically."
            )
        if step == "schools":
            mapping = {
                key.removeprefix("school-"): str(value)
                for key, value in form.items()
                if key.startswith("school-")
            }
            setup.save_schools(hub, org, integration, mapping)
        elif step == "attributes":
            columns: dict[str, dict[str, str]] = {}
            for key, value in form.items():
                if key.startswith("attr/") and str(value).strip():
                    _, file, attribute = key.split("/", 2)
                    columns.setdefault(file, {})[str(value).strip()] = attribute
            setup.save_attributes(hub, integration, columns)
        elif step == "requirements":
            setup.save_requirements(
                hub,
                integration,
                {
                    key.removeprefix("req/"): str(value)
                    for key, value in form.items()
                    if key.startswith("req/")
                },
            )
        elif step == "trust":
            await setup.trust_host_key(hub, integration, str(form.get("fingerprint", "")))
            return go_back(
                request, base, message="Host key trusted: later connections must show it."
            )
        elif step == "finish":
            setup.finish(hub, integration)
            return go_back(
                request,
                f"/orgs/{org.slug}/apps",
                message=f"{integration.name} is configured and takes deliveries.",
            )
        else:
            raise HttpProblem(404, "not_found", "there is nothing at this address")
    except (RosterportError, ValueError) as error:
        return go_back(request, f"{base}/{step}", error=classify(error).message)
    return go_back(request, f"{base}/{nexts[step]}", message="Saved.")
