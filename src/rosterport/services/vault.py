"""The password vault (spec/accounts-and-vault.md): application credentials of accounts.

- **Applications**: each organization's password-vault applications (Application_id as
  `app_credentials.csv` names it, a name, a launch URL), registered by the API or the CLI.
- **Filled by propagation**: the organization's `passport-sso` dataset, once committed, is
  resolved against the accounts directory (as the upload's validation did) and each row's
  credential is sealed into the vault (before the version is in production; ledger consumer
  "vault"). Credentials an earlier upload set and the current version no longer has are
  removed; an administrator's own ones stay unless the version names the same account and
  application.
- **Sealed**: a credential (`{"username", "password"}`) is encrypted with AES-256-GCM under the
  instance key, a fresh random nonce per value (crypto.SecretBox). Nothing but
  `read_for_connector` ever decrypts one for output; pages and API answers say only "set on
  DATE" (`CredentialSet`).
- **The only way out**: an application's launch connector, an API application holding the
  scope `vault.read:<Application_id>` (or `vault.read`: every vault application of its
  organization), reads one account's credential at a time; every attempt is audited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from rosterport.domain.checks.sso import ACCOUNT, resolve_accounts
from rosterport.domain.inputs import ROW
from rosterport.domain.schemas import DataModel
from rosterport.errors import InputError, NotFoundError, RosterportError
from rosterport.services.api_apps import AppCaller
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.services.snapshot_states import snapshot_of
from rosterport.store import ledger
from rosterport.store import vault as store
from rosterport.store.directory import queries as accounts_store
from rosterport.store.vault import CredentialSet, Read, VaultApp

CONSUMER = "vault"
MODEL = "passport-sso"
FILE = "app_credentials.csv"
READ_SCOPE = "vault.read"
UPLOAD = "upload"
ADMIN = "admin"
_KEY = re.compile(r"^[A-Za-z0-9._~-]{1,100}$")


class ScopeError(RosterportError):
    """The API application lacks the vault.read scope for this application."""


@dataclass(frozen=True, slots=True)
class Credential:
    username: str
    password: str


def _seal(hub: Hub, credential: Credential) -> bytes:
    text = json.dumps({"username": credential.username, "password": credential.password})
    return hub.snapshots.box.encrypt(text.encode())


def _open(hub: Hub, sealed: bytes) -> Credential:
    data = json.loads(hub.snapshots.box.decrypt(sealed))
    return Credential(str(data["username"]), str(data["password"]))


# -- applications ------------------------------------------------------------------------------


def create_app(
    hub: Hub, org: Organization, key: str, name: str, launch_url: str | None = None
) -> VaultApp:
    """Register a password-vault application (`key`: its Application_id)."""
    if not _KEY.match(key):
        raise InputError("an application id is 1 to 100 of A-Z a-z 0-9 . _ ~ -")
    if not name.strip() or len(name) > 100:
        raise InputError("an application needs a name of 1 to 100 characters")
    if launch_url is not None and not launch_url.startswith(("https://", "http://")):
        raise InputError("the launch URL must start with https:// or http://")
    with hub.engine.begin() as conn:
        if store.app_by_key(conn, org.id, key) is not None:
            raise InputError(f"{org.slug} already has an application {key!r}")
        store.insert_app(conn, org.id, key, name.strip(), launch_url=launch_url, now=hub.clock())
        made = store.app_by_key(conn, org.id, key)
    assert made is not None
    return made


def list_apps(hub: Hub, org: Organization) -> list[VaultApp]:
    with hub.engine.connect() as conn:
        return store.apps_of(conn, org.id)


def app(hub: Hub, org: Organization, key: str) -> VaultApp:
    with hub.engine.connect() as conn:
        found = store.app_by_key(conn, org.id, key)
    if found is None:
        raise NotFoundError(f"{org.slug} has no password-vault application {key!r}")
    return found


def remove_app(hub: Hub, org: Organization, key: str) -> None:
    """Remove an application and every credential stored for it."""
    found = app(hub, org, key)
    with hub.engine.begin() as conn:
        store.delete_app(conn, found.id)


def application_ids(hub: Hub, org_id: int) -> frozenset[str]:
    """The Application_ids an app_credentials.csv of the organization may name."""
    with hub.engine.connect() as conn:
        return frozenset(a.key for a in store.apps_of(conn, org_id))


# -- credentials -------------------------------------------------------------------------------


def credentials_set(hub: Hub, account_ids: Sequence[int]) -> dict[int, list[CredentialSet]]:
    """Per account, which applications have credentials and since when (never the value)."""
    with hub.engine.connect() as conn:
        found = store.credentials_set(conn, account_ids)
    out: dict[int, list[CredentialSet]] = {}
    for item in found:
        out.setdefault(item.account_id, []).append(item)
    return out


def _account_id(hub: Hub, org: Organization, account_key: str) -> int:
    with hub.engine.connect() as conn:
        found = accounts_store.one(conn, org.id, account_key)
    if found is None or found.state == "deleted":
        raise NotFoundError(f"{org.slug} has no account {account_key!r}")
    return found.id


def set_credential(
    hub: Hub, org: Organization, account_key: str, app_key: str, credential: Credential
) -> None:
    """An administrator sets (or replaces) one account's credential for an application."""
    if not credential.username or not credential.password:
        raise InputError("a credential needs a username and a password")
    target = app(hub, org, app_key)
    account_id = _account_id(hub, org, account_key)
    with hub.engine.begin() as conn:
        store.put_credentials(
            conn, [(account_id, target.id, _seal(hub, credential))], by=ADMIN, now=hub.clock()
        )


def clear_credential(hub: Hub, org: Organization, account_key: str, app_key: str) -> None:
    target = app(hub, org, app_key)
    account_id = _account_id(hub, org, account_key)
    with hub.engine.begin() as conn:
        if not store.remove_credentials(conn, [(account_id, target.id)]):
            raise NotFoundError(f"account {account_key!r} has no credential for {app_key!r}")


def may_read(caller: AppCaller, app_key: str) -> bool:
    return READ_SCOPE in caller.scopes or f"{READ_SCOPE}:{app_key}" in caller.scopes


def read_for_connector(
    hub: Hub, caller: AppCaller, app_key: str, account_key: str, address: str | None
) -> Credential:
    """The launch connector's read of one account's credential (audited, found or not)."""
    with hub.engine.connect() as conn:
        target = store.app_by_key(conn, caller.org_id, app_key)
        account = accounts_store.one(conn, caller.org_id, account_key)
    if target is None:
        raise NotFoundError(f"no password-vault application {app_key!r}")
    allowed = may_read(caller, app_key)
    account_id = None if account is None or account.state == "deleted" else account.id
    with hub.engine.connect() as conn:
        sealed = (
            None if account_id is None else store.sealed_credential(conn, account_id, target.id)
        )
    outcome = "refused" if not allowed else ("read" if sealed is not None else "not-found")
    with hub.engine.begin() as conn:
        store.record_read(
            conn,
            org_id=caller.org_id,
            app_id=target.id,
            account_id=account_id,
            api_client_id=caller.client_id,
            address=address,
            outcome=outcome,
            now=hub.clock(),
        )
    if not allowed:
        raise ScopeError(f"this application lacks the scope {READ_SCOPE}:{app_key}")
    if sealed is None:
        raise NotFoundError(f"no credential of {app_key!r} for account {account_key!r}")
    return _open(hub, sealed)


def reads(
    hub: Hub, org: Organization, *, account_id: int | None, offset: int, limit: int
) -> tuple[int, list[Read]]:
    with hub.engine.connect() as conn:
        return store.reads(conn, org.id, account_id=account_id, offset=offset, limit=limit)


# -- propagation -------------------------------------------------------------------------------


def propagate(
    hub: Hub, org_id: int, model: DataModel, version_id: int, version_ids: Sequence[int]
) -> None:
    """For a passport-sso version: bring the vault to its credentials (see the module doc)."""
    if model.name != MODEL:
        return
    with hub.engine.connect() as conn:
        done_before = ledger.of_version(conn, version_id).get(CONSUMER) == "done"
    if not done_before:  # a retried job: the vault already holds this version
        _fill(hub, org_id, model, version_id)
    with hub.engine.begin() as conn:
        for done in sorted({version_id, *version_ids}):
            ledger.record(conn, done, CONSUMER, state="done", now=hub.clock())


def _fill(hub: Hub, org_id: int, model: DataModel, version_id: int) -> None:
    frame = hub.snapshots.read_file(snapshot_of(hub, version_id) or "", model, FILE)
    with hub.engine.connect() as conn:
        apps = {a.key: a.id for a in store.apps_of(conn, org_id)}
        lookup = accounts_store.lookup_frame(conn, org_id)
    rows = frame.with_row_index(ROW).filter(pl.col("Application_id").is_in(sorted(apps)))
    resolved, _ = resolve_accounts(FILE, rows, lookup)
    resolved = resolved.sort(ROW).unique([ACCOUNT, "Application_id"], keep="first")
    wanted = {
        (int(r[ACCOUNT]), apps[r["Application_id"]]): Credential(
            r["Application_username"], r["Application_password"]
        )
        for r in resolved.iter_rows(named=True)
    }
    with hub.engine.connect() as conn:
        held = store.sealed_of_org(conn, org_id)
    put = [
        (account_id, app_id, _seal(hub, credential))
        for (account_id, app_id), credential in wanted.items()
        if (account_id, app_id) not in held
        or _open(hub, held[(account_id, app_id)][0]) != credential
    ]
    gone = [pair for pair, (_, by) in held.items() if by == UPLOAD and pair not in wanted]
    with hub.engine.begin() as conn:
        store.put_credentials(conn, put, by=UPLOAD, now=hub.clock())
        store.remove_credentials(conn, gone)
