"""API: the SFTP app — integrations (Delivery Config, Test Connection, Schools Mapping,
Attributes Mapping, Data Requirements, Finish Configuration) and notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, UploadFile
from pydantic import BaseModel, Field

from rosterport.config import Settings
from rosterport.remote import Credentials, Server
from rosterport.services import integration_setup as setup
from rosterport.services import integrations as ints
from rosterport.services.hub import Hub
from rosterport.services.notifications import list_notifications, mark_read
from rosterport.services.organizations import Organization
from rosterport.web.deps import MAX_INT, CallerDep, HubDep, Id, SettingsDep
from rosterport.web.sftp_delivery import (
    Delivery,
    Port,
    create_integration,
    hosted_address,
)

router = APIRouter(tags=["sftp"])


class Probe(BaseModel):
    host: str
    port: Port = 22
    username: str
    password: str | None = None
    private_key: str | None = None
    path: str = ""


class Trust(BaseModel):
    fingerprint: str = Field(description="the SHA256 fingerprint you compared with the server's")


class SchoolsBody(BaseModel):
    mapping: dict[str, str] = Field(description="source school → school id, or '' to create it")


class AttributesBody(BaseModel):
    columns: dict[str, dict[str, str]] = Field(description="file → source column → attribute")


class RequirementsBody(BaseModel):
    requirements: dict[str, str] = Field(description="'file/column' → none, report or skip")


class ReadBody(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=MAX_INT)]]


def integration_json(integration: ints.Integration, settings: Settings) -> dict[str, Any]:
    s = integration.settings
    return {
        "id": integration.id,
        "server": "hosted" if integration.kind == ints.HOSTED else "custom",
        "name": integration.name,
        "model": integration.model,
        "username": integration.login or integration.username,
        "address": hosted_address(settings)
        if integration.kind == ints.HOSTED
        else f"{integration.host}:{integration.port}",
        "host_key_pinned": integration.host_key is not None,
        "enabled": integration.enabled,
        "configured": s.configured,
        "committed_by": integration.committed_by,
        "settings": {
            k: v
            for k, v in s.to_json().items()
            if k not in {"schools", "source_schools", "columns", "requirements", "configured"}
        },
        "created_at": integration.created_at.isoformat(timespec="seconds"),
        "last_file_at": _when(integration.last_file_at),
        "last_pull_at": _when(integration.last_pull_at),
        "stale_since": _when(integration.stale_since),
    }


def _when(value: Any) -> str | None:
    return None if value is None else str(value.isoformat(timespec="seconds"))


@router.get("/orgs/{slug}/integrations", summary="The organization's SFTP integrations")
def list_all(
    slug: str, caller: CallerDep, hub: HubDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    org = caller.org(hub, slug)
    return [integration_json(i, settings) for i in ints.list_integrations(hub, org)]


@router.post(
    "/orgs/{slug}/integrations",
    status_code=201,
    summary="Activate the SFTP app: Delivery Config (disabled until Finish Configuration)",
)
def create(
    slug: str, body: Delivery, caller: CallerDep, hub: HubDep, settings: SettingsDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return integration_json(create_integration(hub, org, body), settings)


@router.get("/orgs/{slug}/integrations/{integration_id}", summary="One integration")
def one(
    slug: str, integration_id: Id, caller: CallerDep, hub: HubDep, settings: SettingsDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return integration_json(ints.get_integration(hub, org, integration_id), settings)


@router.post(
    "/orgs/{slug}/integrations/test",
    summary="Test Connection to a custom server before saving: each step in plain words",
)
async def probe(slug: str, body: Probe, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    caller.org(hub, slug)
    server = Server(
        body.host.strip(),
        body.port,
        body.username.strip(),
        Credentials(body.password or None, body.private_key or None),
        path=body.path,
    )
    report = await hub.remote_servers().check_connection(server)
    return report.to_json()


@router.post(
    "/orgs/{slug}/integrations/{integration_id}/test",
    summary="Test Connection of a saved custom server (against its pinned host key)",
)
async def test_saved(
    slug: str, integration_id: Id, caller: CallerDep, hub: HubDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    report = await setup.test_connection(hub, ints.get_integration(hub, org, integration_id))
    return report.to_json()


@router.post(
    "/orgs/{slug}/integrations/{integration_id}/trust",
    summary="Pin the custom server's host key, after comparing its fingerprint",
)
async def trust(
    slug: str,
    integration_id: Id,
    body: Trust,
    caller: CallerDep,
    hub: HubDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    integration = ints.get_integration(hub, org, integration_id)
    return integration_json(
        await setup.trust_host_key(hub, integration, body.fingerprint), settings
    )


@router.post(
    "/orgs/{slug}/integrations/{integration_id}/schools/source",
    summary="Schools Mapping: upload the source system's school file; schools are auto-mapped",
)
def schools_source(
    slug: str, integration_id: Id, file: UploadFile, caller: CallerDep, hub: HubDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    integration = ints.get_integration(hub, org, integration_id)
    data = file.file.read(64 * 1024 * 1024)
    updated = setup.load_source_schools(hub, org, integration, file.filename or "orgs.csv", data)
    return _schools_json(hub, org, updated)


def _schools_json(hub: Hub, org: Organization, integration: ints.Integration) -> dict[str, Any]:
    return {
        "rows": [
            {"source": r.source.id, "name": r.source.name, "target": r.target}
            for r in setup.school_rows(integration)
        ],
        "schools": [
            {"id": s.id, "name": s.name}
            for s in setup.existing_schools(hub, org, integration.model)
        ],
    }


@router.get("/orgs/{slug}/integrations/{integration_id}/schools", summary="Schools Mapping")
def schools(slug: str, integration_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return _schools_json(hub, org, ints.get_integration(hub, org, integration_id))


@router.put(
    "/orgs/{slug}/integrations/{integration_id}/schools", summary="Save the Schools Mapping"
)
def save_schools(
    slug: str, integration_id: Id, body: SchoolsBody, caller: CallerDep, hub: HubDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    integration = ints.get_integration(hub, org, integration_id)
    return _schools_json(hub, org, setup.save_schools(hub, org, integration, body.mapping))


@router.get("/orgs/{slug}/integrations/{integration_id}/attributes", summary="Attributes Mapping")
def attributes(slug: str, integration_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return _attributes_json(ints.get_integration(hub, caller.org(hub, slug), integration_id))


def _attributes_json(integration: ints.Integration) -> dict[str, Any]:
    return {"files": setup.attribute_files(integration), "columns": integration.settings.columns}


@router.put(
    "/orgs/{slug}/integrations/{integration_id}/attributes",
    summary="Save the Attributes Mapping",
)
def save_attributes(
    slug: str, integration_id: Id, body: AttributesBody, caller: CallerDep, hub: HubDep
) -> dict[str, Any]:
    integration = ints.get_integration(hub, caller.org(hub, slug), integration_id)
    return _attributes_json(setup.save_attributes(hub, integration, body.columns))


@router.get("/orgs/{slug}/integrations/{integration_id}/requirements", summary="Data Requirements")
def requirements(slug: str, integration_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return _requirements_json(ints.get_integration(hub, caller.org(hub, slug), integration_id))


def _requirements_json(integration: ints.Integration) -> dict[str, Any]:
    return {
        "optional": setup.optional_attributes(integration),
        "requirements": {k: r.value for k, r in integration.settings.requirements.items()},
    }


@router.put(
    "/orgs/{slug}/integrations/{integration_id}/requirements",
    summary="Save Data Requirements",
)
def save_requirements(
    slug: str, integration_id: Id, body: RequirementsBody, caller: CallerDep, hub: HubDep
) -> dict[str, Any]:
    integration = ints.get_integration(hub, caller.org(hub, slug), integration_id)
    return _requirements_json(setup.save_requirements(hub, integration, body.requirements))


@router.post(
    "/orgs/{slug}/integrations/{integration_id}/finish",
    summary="Finish Configuration: the integration takes deliveries",
)
def finish(
    slug: str, integration_id: Id, caller: CallerDep, hub: HubDep, settings: SettingsDep
) -> dict[str, Any]:
    integration = ints.get_integration(hub, caller.org(hub, slug), integration_id)
    return integration_json(setup.finish(hub, integration), settings)


@router.get("/orgs/{slug}/notifications", summary="Notifications (SFTP deliveries, feeds)")
def notifications(
    slug: str, caller: CallerDep, hub: HubDep, unread: bool = False
) -> list[dict[str, Any]]:
    org = caller.org(hub, slug)
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "message": n.message,
            "created_at": n.created_at.isoformat(timespec="seconds"),
            "read": n.read_at is not None,
        }
        for n in list_notifications(hub, org, unread=unread)
    ]


@router.post("/orgs/{slug}/notifications/read", summary="Mark notifications as read")
def read(slug: str, body: ReadBody, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    mark_read(hub, caller.org(hub, slug), body.ids)
    return {"read": body.ids}
