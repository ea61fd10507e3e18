"""SFTP integrations of an organization: hosted accounts and pulls from a custom server.

    hosted  an account on rosterport's own SFTP server (password and/or authorized public
            keys); the integrator drops files into the account's folder
    pull    rosterport downloads files from the organization's server on a schedule

Each integration carries its own processing settings (data model, mode, issue levels,
safeguards), which override the organization's for its deliveries. Secrets are never kept
in clear: hosted passwords as argon2id hashes, pull credentials encrypted with the data key
(`SnapshotStore.box`). Signing in to a hosted account (`sign_in_hosted`) is limited like the
web sign-in (`services/sign_in_limits.py`) and costs the same argon2 work whether or not the
account exists. Processing a delivery is in `services/deliveries.py`.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import asyncssh
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rosterport.domain.issues import Level, issue_type
from rosterport.domain.policy import Mode, Requirement
from rosterport.domain.schemas import MODELS
from rosterport.errors import InputError, NotFoundError
from rosterport.remote import Credentials
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.services.sign_in_limits import give_back, take_place
from rosterport.store import integrations as store
from rosterport.store.engine import immediate

HOSTED, PULL = "hosted", "pull"
KEEP, MOVE, DELETE = "keep", "move", "delete"  # what happens to a custom server's files
DEFAULT_MODEL = "passport-roster"
MIN_PASSWORD = 10
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class IntegrationSettings:
    """How an integration's deliveries are found and processed. `None` and empty values
    fall back to the organization's settings."""

    mode: Mode | None = None
    levels: Mapping[str, Level] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)
    default_threshold: float | None = None
    interval_minutes: int = 1440  # pulls: how often to look for new files
    pattern: str = "*"  # file names taken (glob, case-insensitive); ZIPs always match
    after: str = KEEP  # pulls: keep, move or delete the files after processing
    move_to: str = "processed"  # pulls, after=move: folder (relative to `path`)
    path: str = ""  # pulls: folder on the server; "" is the login (home) folder
    notify: tuple[str, ...] = ()  # e-mail addresses; default: the organization's admins
    # the SFTP app's mappings (domain/mappings.py) and data requirements (spec/validation.md)
    schools: Mapping[str, str] = field(default_factory=dict)  # source school → school ("": new)
    source_schools: Mapping[str, str] = field(default_factory=dict)  # source school → its name
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # file → source → attr
    requirements: Mapping[str, Requirement] = field(default_factory=dict)  # "file/column" → …
    configured: bool = True  # False while the admin UI's setup steps are not finished

    def requirement_map(self) -> dict[tuple[str, str], Requirement]:
        """Data requirements as the validator takes them: (file, column) → requirement."""
        return {
            (key.split("/", 1)[0], key.split("/", 1)[1]): req
            for key, req in self.requirements.items()
            if "/" in key
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IntegrationSettings:
        mode = data.get("mode")
        threshold = data.get("default_threshold")
        return cls(
            mode=Mode(mode) if mode else None,
            levels={code: Level.parse(level) for code, level in data.get("levels", {}).items()},
            thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()},
            default_threshold=None if threshold is None else float(threshold),
            interval_minutes=int(data.get("interval_minutes", 1440)),
            pattern=str(data.get("pattern", "*")),
            after=str(data.get("after", KEEP)),
            move_to=str(data.get("move_to", "processed")),
            path=str(data.get("path", "")),
            notify=tuple(data.get("notify", ())),
            schools={str(k): str(v) for k, v in data.get("schools", {}).items()},
            source_schools={str(k): str(v) for k, v in data.get("source_schools", {}).items()},
            columns={
                str(f): {str(k): str(v) for k, v in renames.items()}
                for f, renames in data.get("columns", {}).items()
            },
            requirements={k: Requirement(v) for k, v in data.get("requirements", {}).items()},
            configured=bool(data.get("configured", True)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value if self.mode else None,
            "levels": {code: level.value for code, level in self.levels.items()},
            "thresholds": dict(self.thresholds),
            "default_threshold": self.default_threshold,
            "interval_minutes": self.interval_minutes,
            "pattern": self.pattern,
            "after": self.after,
            "move_to": self.move_to,
            "path": self.path,
            "notify": list(self.notify),
            "schools": dict(self.schools),
            "source_schools": dict(self.source_schools),
            "columns": {f: dict(renames) for f, renames in self.columns.items()},
            "requirements": {k: r.value for k, r in self.requirements.items()},
            "configured": self.configured,
        }

    def checked(self) -> IntegrationSettings:
        """These settings, or InputError saying which value to change."""
        for code in self.levels:
            if not issue_type(code).record:
                raise InputError(f"the level of {code} is fixed and cannot be changed")
        shares = dict(self.thresholds)
        if self.default_threshold is not None:
            shares["default"] = self.default_threshold
        for name, share in shares.items():
            if not 0 <= share <= 1:
                raise InputError(
                    f"safeguard for {name} is {share:.0%}; give a share between 0% and 100%"
                )
        if self.interval_minutes < 1:
            raise InputError(
                f"pull interval {self.interval_minutes} minutes is too short; give 1 or more"
            )
        if self.after not in {KEEP, MOVE, DELETE}:
            raise InputError(
                f"after-processing action {self.after!r} is unknown; choose keep, move or delete"
            )
        if self.after == MOVE and not self.move_to.strip("/"):
            raise InputError("name the folder processed files are moved to (e.g. processed)")
        if not self.pattern or "/" in self.pattern:
            raise InputError(
                f"file name pattern {self.pattern!r} must be a file name glob such as *.csv"
            )
        return self


@dataclass(frozen=True, slots=True)
class Integration:
    id: int
    org_id: int
    kind: str
    name: str
    model: str
    login: str | None  # hosted: the account's user name
    host: str | None  # pull: the custom server
    port: int | None
    username: str | None
    host_key: str | None  # pull: the pinned server key
    enabled: bool
    settings: IntegrationSettings
    created_at: datetime
    last_file_at: datetime | None
    last_pull_at: datetime | None
    stale_since: datetime | None

    @property
    def committed_by(self) -> str:
        """Who the history names for this integration's versions."""
        return (
            f"sftp:{self.login or self.username}"
            if self.kind == HOSTED
            else (f"sftp:{self.username}@{self.host}")
        )

    def org_settings(self, org: Organization) -> Organization:
        """The organization as this integration's deliveries see it (its overrides applied)."""
        s = self.settings
        settings = replace(
            org.settings,
            mode=s.mode or org.settings.mode,
            levels={**org.settings.levels, **s.levels},
            thresholds={**org.settings.thresholds, **s.thresholds},
            default_threshold=(
                org.settings.default_threshold
                if s.default_threshold is None
                else s.default_threshold
            ),
        )
        return replace(org, settings=settings)


def _from_row(row: sa.Row[Any]) -> Integration:
    return Integration(
        row.id,
        row.org_id,
        row.kind,
        row.name,
        row.model,
        row.login,
        row.host,
        row.port,
        row.username,
        row.host_key,
        bool(row.enabled),
        IntegrationSettings.from_json(row.settings or {}),
        row.created_at,
        row.last_file_at,
        row.last_pull_at,
        row.stale_since,
    )


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise InputError(f"unknown data model {model!r}; known: {', '.join(MODELS)}")


def checked_public_keys(text: str) -> str:
    """Authorized keys (OpenSSH format, one a line), or InputError saying what is wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError("the public key file is empty; give a key like 'ssh-ed25519 AAAA…'")
    try:
        asyncssh.import_authorized_keys("\n".join(lines))
    except (ValueError, asyncssh.KeyImportError) as error:
        raise InputError(
            f"the public key is not an OpenSSH public key ({error}); give the .pub file "
            "(a line like 'ssh-ed25519 AAAA… comment'), not the private key"
        ) from None
    return "\n".join(lines) + "\n"


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the SFTP password is too short ({len(password)} characters); use at least "
            f"{MIN_PASSWORD}"
        )
    return password


def add_hosted_account(
    hub: Hub,
    org: Organization,
    *,
    login: str,
    password: str | None = None,
    public_keys: str | None = None,
    model: str = DEFAULT_MODEL,
    settings: IntegrationSettings | None = None,
) -> Integration:
    """A new account on the hosted SFTP server, jailed in its own folder."""
    if not _LOGIN.match(login):
        raise InputError(
            f"SFTP user name {login!r} must be 2–63 characters of a-z, 0-9, '.', '_' and '-', "
            "starting with a letter or digit (e.g. springfield-sis)"
        )
    if password is None and public_keys is None:
        raise InputError("give the account a password or a public key")
    _check_model(model)
    values = {
        "password_hash": _hasher.hash(_checked_password(password)) if password else None,
        "authorized_keys": checked_public_keys(public_keys) if public_keys else None,
    }
    with immediate(hub.engine).begin() as conn:
        if store.login_taken(conn, login):
            raise InputError(f"the SFTP user name {login!r} is taken; choose another")
        new_id = store.insert(
            conn,
            org.id,
            kind=HOSTED,
            name=login,
            model=model,
            login=login,
            settings=(settings or IntegrationSettings()).checked().to_json(),
            now=hub.clock(),
            **values,
        )
    return get_integration(hub, org, new_id)


def set_hosted_credentials(
    hub: Hub, integration: Integration, *, password: str | None, public_keys: str | None
) -> None:
    """Replace a hosted account's password and/or authorized keys (None leaves one as is)."""
    values: dict[str, Any] = {}
    if password is not None:
        values["password_hash"] = _hasher.hash(_checked_password(password))
    if public_keys is not None:
        values["authorized_keys"] = checked_public_keys(public_keys)
    set_columns(hub, integration, **values)


def add_pull(
    hub: Hub,
    org: Organization,
    *,
    name: str,
    host: str,
    username: str,
    credentials: Credentials,
    port: int = 22,
    model: str = DEFAULT_MODEL,
    settings: IntegrationSettings | None = None,
) -> Integration:
    """A new pull from the organization's own SFTP server (credentials encrypted at rest)."""
    _check_model(model)
    if not host.strip() or not username.strip():
        raise InputError("give the SFTP server's host name and the user name to sign in as")
    if not 0 < port < 65536:
        raise InputError(f"port {port} is not a TCP port; the SFTP default is 22")
    with hub.engine.begin() as conn:
        new_id = store.insert(
            conn,
            org.id,
            kind=PULL,
            name=name,
            model=model,
            host=host.strip(),
            port=port,
            username=username.strip(),
            secret=_seal(hub, credentials),
            settings=(settings or IntegrationSettings()).checked().to_json(),
            now=hub.clock(),
        )
    return get_integration(hub, org, new_id)


def _seal(hub: Hub, credentials: Credentials) -> bytes:
    if not (credentials.password or credentials.private_key):
        raise InputError("give the password or the private key to sign in with")
    plain = {"password": credentials.password, "private_key": credentials.private_key}
    return hub.snapshots.box.encrypt(json.dumps(plain).encode())


def pull_credentials(hub: Hub, integration: Integration) -> Credentials:
    """The decrypted credentials of a pull."""
    with hub.engine.connect() as conn:
        sealed = store.secret(conn, integration.id)
    if not sealed:
        return Credentials()
    plain = json.loads(hub.snapshots.box.decrypt(sealed))
    return Credentials(plain.get("password"), plain.get("private_key"))


def update_integration(
    hub: Hub,
    integration: Integration,
    *,
    settings: IntegrationSettings | None = None,
    model: str | None = None,
    enabled: bool | None = None,
    credentials: Credentials | None = None,
    host: str | None = None,
    port: int | None = None,
    username: str | None = None,
) -> Integration:
    """Change an integration; a pull whose server changes forgets its pinned host key."""
    values: dict[str, Any] = {}
    if settings is not None:
        values["settings"] = settings.checked().to_json()
    if model is not None:
        _check_model(model)
        values["model"] = model
    if enabled is not None:
        values["enabled"] = enabled
    if credentials is not None:
        values["secret"] = _seal(hub, credentials)
    for column, value in (("host", host), ("port", port), ("username", username)):
        if value is not None:
            values[column] = value
    if host is not None or port is not None:
        values["host_key"] = None
    set_columns(hub, integration, **values)
    return integration_by_id(hub, integration.id)


def get_integration(hub: Hub, org: Organization, integration_id: int) -> Integration:
    with hub.engine.connect() as conn:
        row = store.in_org(conn, org.id, integration_id)
    if row is None:
        raise NotFoundError(f"no SFTP integration {integration_id} in {org.slug}")
    return _from_row(row)


def integration_by_id(hub: Hub, integration_id: int) -> Integration:
    with hub.engine.connect() as conn:
        row = store.by_id(conn, integration_id)
    if row is None:
        raise NotFoundError(f"no SFTP integration {integration_id}")
    return _from_row(row)


def list_integrations(
    hub: Hub, org: Organization | None = None, *, kind: str | None = None
) -> list[Integration]:
    """The integrations of `org` (of every organization when None), oldest first."""
    with hub.engine.connect() as conn:
        rows = store.listed(conn, org_id=None if org is None else org.id, kind=kind)
    return [_from_row(r) for r in rows]


def hosted_account(hub: Hub, login: str) -> Integration | None:
    """The enabled hosted account called `login`, if any."""
    with hub.engine.connect() as conn:
        row = store.enabled_by_login(conn, login, kind=HOSTED)
    return None if row is None else _from_row(row)


def authorized_keys(hub: Hub, integration: Integration) -> str | None:
    with hub.engine.connect() as conn:
        return store.authorized_keys(conn, integration.id)


def check_password(hub: Hub, login: str, password: str) -> bool:
    """Whether `password` signs in the enabled hosted account `login`. An unknown account, or
    one without a password, is checked against a stand-in hash, so that it takes as long as
    a wrong password for a real one (timing does not tell which user names exist)."""
    with hub.engine.connect() as conn:
        stored = store.password_hash(conn, login, kind=HOSTED)
    try:
        return _hasher.verify(stored or _stand_in_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _stand_in_hash() -> str:
    """An argon2id hash (same parameters as real ones) of a secret nobody knows."""
    return _hasher.hash(secrets.token_urlsafe(32))


@dataclass(frozen=True, slots=True)
class HostedSignIn:
    """How a password sign-in to a hosted account went."""

    signed_in: bool
    locked_out: bool  # refused unchecked: too many failures for this user name or address
    failures: int  # failed attempts in the window for this user name or address (this one too)


def sign_in_hosted(
    hub: Hub, login: str, password: str, *, address: str, limit: int
) -> HostedSignIn:
    """Check a password sign-in to the hosted account `login` from the client `address`.

    Once `limit` attempts failed for this user name, or from this address, within 15 minutes,
    every further attempt is refused, the right password too, until the window has passed
    (counted atomically: `services/sign_in_limits.py`).
    """
    place = take_place(hub, f"sftp:{login}", f"sftp:{address}", limit=limit)
    if place.refused:
        return HostedSignIn(signed_in=False, locked_out=True, failures=place.taken - 1)
    if check_password(hub, login, password):
        give_back(hub, place)
        return HostedSignIn(signed_in=True, locked_out=False, failures=place.taken - 1)
    return HostedSignIn(signed_in=False, locked_out=False, failures=place.taken)


def set_columns(hub: Hub, integration: Integration, **values: Any) -> None:
    """Write these columns of the integration's row (nothing when there are none)."""
    if not values:
        return
    with hub.engine.begin() as conn:
        store.update(conn, integration.id, **values)


def pin_host_key(hub: Hub, integration: Integration, key: str) -> None:
    """Trust this server key (OpenSSH public key text) for the pull from now on."""
    set_columns(hub, integration, host_key=key.strip())


def mark_pulled(hub: Hub, integration: Integration) -> None:
    set_columns(hub, integration, last_pull_at=hub.clock())


def pull_due(hub: Hub, integration: Integration) -> bool:
    """Whether the pull's interval has passed since it last ran."""
    if integration.kind != PULL or not integration.enabled:
        return False
    last = integration.last_pull_at
    return last is None or (hub.clock() - last).total_seconds() >= (
        integration.settings.interval_minutes * 60
    )


@dataclass(frozen=True, slots=True)
class SeenFile:
    """A file as a custom server listed it when it was last downloaded."""

    name: str
    size: int
    mtime: int
    sha256: str


def seen_files(hub: Hub, integration: Integration) -> dict[str, SeenFile]:
    with hub.engine.connect() as conn:
        rows = store.seen(conn, integration.id)
    return {r.name: SeenFile(r.name, r.size, r.mtime, r.sha256) for r in rows}


def record_seen(hub: Hub, integration: Integration, files: Sequence[SeenFile]) -> None:
    """Remember these files as they are now (replacing what was known of them)."""
    if not files:
        return
    names = [f.name for f in files]
    with hub.engine.begin() as conn:
        store.forget_seen(conn, integration.id, names)
        store.add_seen(
            conn,
            integration.id,
            [(f.name, f.size, f.mtime, f.sha256) for f in files],
            now=hub.clock(),
        )


def forget_seen(hub: Hub, integration: Integration, names: Sequence[str]) -> None:
    """Forget files that are gone from the server (moved, deleted)."""
    if names:
        with hub.engine.begin() as conn:
            store.forget_seen(conn, integration.id, names)
