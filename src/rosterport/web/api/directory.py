"""API: the accounts directory, password-vault applications and credentials, and the launch
connector's read of one credential (spec/accounts-and-vault.md).

No answer here ever holds a credential's value except the connector's read; accounts show
which applications have credentials and since when ("set_at")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from rosterport.domain.directory import unlisted
from rosterport.services import api_apps, directory, vault
from rosterport.store.directory.queries import Account, Selection
from rosterport.store.vault import CredentialSet, Read, VaultApp
from rosterport.web.auth import client_address
from rosterport.web.deps import CallerDep, HubDep, Limit, Offset, SettingsDep
from rosterport.web.errors import HttpProblem

router = APIRouter(tags=["accounts and vault"])


class NewVaultApp(BaseModel):
    id: str = Field(description="the Application_id app_credentials.csv names, e.g. moodle")
    name: str
    launch_url: str | None = None


class CredentialBody(BaseModel):
    username: str
    password: str


def account_json(a: Account, sets: list[CredentialSet]) -> dict[str, Any]:
    return {
        "id": a.id,
        "sourcedId": a.sourced_id,
        "sis_id": a.sis_id,
        "role": a.role,
        "givenName": a.given_name,
        "middleName": a.middle_name,
        "familyName": a.family_name,
        "email": a.email,
        "username": a.username,
        "schools": unlisted(a.schools),
        "grades": unlisted(a.grades),
        "state": a.state,
        "initial_password": "set" if a.has_password else None,
        "created_at": a.created_at.isoformat(),
        "changed_at": a.changed_at.isoformat(),
        "absent_since": a.absent_since and a.absent_since.isoformat(),
        "credentials": [
            {"application": s.app_key, "name": s.app_name, "set_at": s.set_at.isoformat()}
            for s in sets
        ],
    }


def app_json(a: VaultApp) -> dict[str, Any]:
    return {
        "id": a.key,
        "name": a.name,
        "launch_url": a.launch_url,
        "created_at": a.created_at.isoformat(),
    }


def read_json(r: Read) -> dict[str, Any]:
    return {
        "application": r.app_key,
        "account": r.account_id,
        "client_id": r.api_client_id,
        "address": r.address,
        "outcome": r.outcome,
        "read_at": r.read_at.isoformat(),
    }


@router.get("/orgs/{slug}/accounts", summary="The organization's accounts directory (paged)")
def list_accounts(
    slug: str,
    hub: HubDep,
    caller: CallerDep,
    offset: Offset = 0,
    limit: Limit = 100,
    state: str | None = None,
    role: str | None = None,
    school: str | None = None,
    q: str | None = None,
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    selection = Selection(org.id, state=state, role=role, school=school, text=q)
    total, page = directory.accounts_page(hub, selection, offset=offset, limit=min(limit, 1000))
    sets = vault.credentials_set(hub, [a.id for a in page])
    return {
        "total": total,
        "offset": offset,
        "accounts": [account_json(a, sets.get(a.id, [])) for a in page],
    }


@router.get("/orgs/{slug}/accounts/{account}", summary="One account (by id or sourcedId)")
def one_account(slug: str, account: str, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    found = directory.account(hub, org, account)
    return account_json(found, vault.credentials_set(hub, [found.id]).get(found.id, []))


@router.put(
    "/orgs/{slug}/accounts/{account}/credentials/{app}",
    summary="Set or replace the account's credential for a vault application (never shown)",
)
def set_credential(
    slug: str, account: str, app: str, body: CredentialBody, hub: HubDep, caller: CallerDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    vault.set_credential(hub, org, account, app, vault.Credential(body.username, body.password))
    return one_account(slug, account, hub, caller)


@router.delete(
    "/orgs/{slug}/accounts/{account}/credentials/{app}",
    summary="Clear the account's credential for a vault application",
)
def clear_credential(
    slug: str, account: str, app: str, hub: HubDep, caller: CallerDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    vault.clear_credential(hub, org, account, app)
    return one_account(slug, account, hub, caller)


@router.get("/orgs/{slug}/vault/apps", summary="The organization's password-vault applications")
def list_vault_apps(slug: str, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return {"apps": [app_json(a) for a in vault.list_apps(hub, org)]}


@router.post("/orgs/{slug}/vault/apps", status_code=201, summary="Add a password-vault application")
def create_vault_app(
    slug: str, body: NewVaultApp, hub: HubDep, caller: CallerDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return app_json(vault.create_app(hub, org, body.id, body.name, body.launch_url))


@router.delete("/orgs/{slug}/vault/apps/{app}", summary="Remove an application and its credentials")
def remove_vault_app(slug: str, app: str, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    vault.remove_app(hub, org, app)
    return {"removed": app}


@router.get("/orgs/{slug}/vault/reads", summary="The audit of credential reads, newest first")
def list_reads(
    slug: str,
    hub: HubDep,
    caller: CallerDep,
    offset: Offset = 0,
    limit: Limit = 100,
    account: str | None = None,
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    account_id = None if account is None else directory.account(hub, org, account).id
    total, page = vault.reads(
        hub, org, account_id=account_id, offset=offset, limit=min(limit, 1000)
    )
    return {"total": total, "offset": offset, "reads": [read_json(r) for r in page]}


@router.get(
    "/vault/{app}/accounts/{account}",
    summary="Launch connector: one account's credential (OAuth 2.0 bearer of an API "
    "application with vault.read or vault.read:<app>; audited, rate-limited)",
)
def connector_read(
    app: str, account: str, request: Request, hub: HubDep, settings: SettingsDep
) -> dict[str, Any]:
    header = request.headers.get("authorization", "")
    caller = (
        api_apps.caller_of_token(hub, header[7:].strip())
        if header.lower().startswith("bearer ")
        else None
    )
    if caller is None:
        raise HttpProblem(
            401,
            "unauthenticated",
            "send 'Authorization: Bearer <token>' of an API application (POST /oauth/token)",
        )
    wait = api_apps.retry_after(hub, caller, settings.vault_reads_per_minute)
    if wait is not None:
        raise HttpProblem(429, "rate_limited", f"too many credential reads; retry in {wait} s")
    address = client_address(request, settings.proxy_networks())
    try:
        credential = vault.read_for_connector(hub, caller, app, account, address)
    except vault.ScopeError as refused:
        raise HttpProblem(403, "forbidden", str(refused)) from None
    return {"username": credential.username, "password": credential.password}
