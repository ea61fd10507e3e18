"""API: SFTP export (Sync Mode: Export of the SFTP app) — an application's server that
receives the roster as OneRoster 1.1 CSV; Test Connection, host key, deliveries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from rosterport.errors import InputError
from rosterport.remote import Credentials
from rosterport.services import sftp_export as sx
from rosterport.services import sftp_export_targets as targets
from rosterport.web.deps import CallerDep, HubDep, Id

router = APIRouter(tags=["sftp export"])
BASE = "/orgs/{slug}/sftp/exports"
Port = Annotated[int, Field(ge=1, le=65535, description="TCP port, 1–65535")]


class Options(BaseModel):
    path: str = Field(default="", description="folder on the server; empty = home folder")
    schools: list[str] = Field(default_factory=list, description="school ids; empty = all")
    files: str = Field(default="full", description="full, or users-orgs (users and orgs only)")
    delta: bool = Field(default=False, description="bulk every time (false) or bulk then delta")
    schedule: str = Field(default="version", description="'version' (after each) or HH:MM")
    time_zone: str = Field(default="UTC", description="of an HH:MM schedule (IANA name)")
    zipped: bool = Field(default=False, description="one oneroster.zip instead of loose files")

    def settings(self) -> targets.ExportSettings:
        return targets.ExportSettings(
            path=self.path.strip(),
            schools=tuple(s.strip() for s in self.schools if s.strip()),
            files=self.files,
            delta=self.delta,
            schedule=self.schedule.strip(),
            time_zone=self.time_zone.strip(),
            zipped=self.zipped,
        )


class NewExport(Options):
    name: str = ""
    host: str
    port: Port = 22
    username: str
    password: str | None = Field(default=None, description="password, or give private_key")
    private_key: str | None = Field(default=None, description="OpenSSH or PEM private key")
    data_schema: str = Field(default=targets.SCHEMA, description="IMS OneRoster 1.1 (the only one)")


class Changes(BaseModel):
    options: Options | None = None
    enabled: bool | None = None
    password: str | None = None
    private_key: str | None = None


class Trust(BaseModel):
    fingerprint: str = Field(description="the SHA256 fingerprint you compared with the server's")


@router.get(BASE, summary="The organization's SFTP exports")
def list_all(slug: str, caller: CallerDep, hub: HubDep) -> list[dict[str, Any]]:
    return [e.to_json() for e in targets.list_exports(hub, caller.org(hub, slug))]


@router.post(BASE, status_code=201, summary="A new SFTP export (credentials kept encrypted)")
def create(slug: str, body: NewExport, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    if body.data_schema != targets.SCHEMA:
        raise InputError(f"data schema {body.data_schema!r}: only {targets.SCHEMA} is offered")
    made = targets.add_export(
        hub,
        org,
        host=body.host,
        port=body.port,
        username=body.username,
        credentials=Credentials(body.password or None, body.private_key or None),
        name=body.name,
        settings=body.settings(),
    )
    return made.to_json()


@router.get(BASE + "/{export_id}", summary="One export and its latest deliveries")
def one(slug: str, export_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    export = targets.get_export(hub, caller.org(hub, slug), export_id)
    return {**export.to_json(), "deliveries": targets.runs(hub, export)}


@router.put(BASE + "/{export_id}", summary="Change an export's options, credentials or state")
def change(
    slug: str, export_id: Id, body: Changes, caller: CallerDep, hub: HubDep
) -> dict[str, Any]:
    export = targets.get_export(hub, caller.org(hub, slug), export_id)
    credentials = None
    if body.password or body.private_key:
        credentials = Credentials(body.password or None, body.private_key or None)
    updated = targets.update_export(
        hub,
        export,
        settings=None if body.options is None else body.options.settings(),
        credentials=credentials,
        enabled=body.enabled,
    )
    return updated.to_json()


@router.post(BASE + "/{export_id}/run", status_code=202, summary="Queue one delivery now")
def run(slug: str, export_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    export = targets.get_export(hub, caller.org(hub, slug), export_id)
    return {"job": sx.run_now(hub, export)}


@router.post(
    BASE + "/{export_id}/test",
    summary="Test Connection: each step in plain words (against the pinned host key)",
)
async def test(slug: str, export_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    export = targets.get_export(hub, caller.org(hub, slug), export_id)
    return (await targets.test_connection(hub, export)).to_json()


@router.post(BASE + "/{export_id}/trust", summary="Pin the server's host key, after comparing it")
async def trust(
    slug: str, export_id: Id, body: Trust, caller: CallerDep, hub: HubDep
) -> dict[str, Any]:
    export = targets.get_export(hub, caller.org(hub, slug), export_id)
    return (await targets.trust_host_key(hub, export, body.fingerprint)).to_json()
