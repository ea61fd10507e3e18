"""SFTP integrations of an organization: the records and their settings.

    hosted  an account on rosterport's own SFTP server (password and/or authorized public
            keys); the integrator drops files into the account's folder
            (`services/hosted_accounts.py`: creating one, its credentials, signing in)
    pull    rosterport downloads files from the organization's server on a schedule
            (`services/sftp_pulls.py`: when, and what it saw last time)

Each integration carries its own processing settings (data model, mode, issue levels,
safeguards), which override the organization's for its deliveries. Secrets are never kept
in clear: hosted passwords as argon2id hashes, pull credentials sealed with the data key
(`services/server_credentials.py`). Processing a delivery is in `services/deliveries.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.domain.issue_type import Level
from rosterport.domain.issues import issue_type
from rosterport.domain.policy import Mode, Requirement
from rosterport.domain.schemas import MODELS
from rosterport.errors import InputError, NotFoundError
from rosterport.remote import Credentials
from rosterport.services import server_credentials
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import integrations as store

HOSTED, PULL = "hosted", "pull"
KEEP, MOVE, DELETE = "keep", "move", "delete"  # what happens to a custom server's files
DEFAULT_MODEL = "passport-roster"


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


def from_row(row: sa.Row[Any]) -> Integration:
    """An integration as its row in the store holds it."""
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


def check_model(model: str) -> None:
    """InputError unless `model` is a known data model."""
    if model not in MODELS:
        raise InputError(f"unknown data model {model!r}; known: {', '.join(MODELS)}")


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
    check_model(model)
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
    return server_credentials.seal(
        hub, credentials, missing="give the password or the private key to sign in with"
    )


def pull_credentials(hub: Hub, integration: Integration) -> Credentials:
    """The decrypted credentials of a pull."""
    with hub.engine.connect() as conn:
        sealed = store.secret(conn, integration.id)
    if not sealed:
        return Credentials()
    return server_credentials.unseal(hub, sealed)


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
        check_model(model)
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
    """An integration of the organization (NotFoundError for another organization's)."""
    with hub.engine.connect() as conn:
        row = store.in_org(conn, org.id, integration_id)
    if row is None:
        raise NotFoundError(f"no SFTP integration {integration_id} in {org.slug}")
    return from_row(row)


def integration_by_id(hub: Hub, integration_id: int) -> Integration:
    """The integration with this id, of any organization."""
    with hub.engine.connect() as conn:
        row = store.by_id(conn, integration_id)
    if row is None:
        raise NotFoundError(f"no SFTP integration {integration_id}")
    return from_row(row)


def list_integrations(
    hub: Hub, org: Organization | None = None, *, kind: str | None = None
) -> list[Integration]:
    """The integrations of `org` (of every organization when None), oldest first."""
    with hub.engine.connect() as conn:
        rows = store.listed(conn, org_id=None if org is None else org.id, kind=kind)
    return [from_row(r) for r in rows]


def set_columns(hub: Hub, integration: Integration, **values: Any) -> None:
    """Write these columns of the integration's row (nothing when there are none)."""
    if not values:
        return
    with hub.engine.begin() as conn:
        store.update(conn, integration.id, **values)


def pin_host_key(hub: Hub, integration: Integration, key: str) -> None:
    """Trust this server key (OpenSSH public key text) for the pull from now on."""
    set_columns(hub, integration, host_key=key.strip())
