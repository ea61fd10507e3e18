"""Delivery Config as the web receives it — the API's JSON body and the admin form alike —
and what turns it into an integration's settings (the SFTP app's first step)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from rosterport.config import Settings
from rosterport.domain.issue_type import Level
from rosterport.domain.policy import Mode
from rosterport.errors import InputError
from rosterport.remote import Credentials
from rosterport.services import integration_setup as setup
from rosterport.services import integrations as ints
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization

MAX_PORT = 65535
MAX_INTERVAL = 366 * 24 * 60  # a pull at least once a year
Port = Annotated[int, Field(ge=1, le=MAX_PORT, description="TCP port, 1–65535")]


class Advanced(BaseModel):
    mode: str | None = Field(default=None, description="full or incremental (default: settings)")
    levels: dict[str, str] = Field(default_factory=dict, description="record issue → level")
    default_threshold: float | None = Field(default=None, description="safeguard share, 0–1")
    thresholds: dict[str, float] = Field(default_factory=dict)
    interval_minutes: int = Field(
        default=1440, ge=1, le=MAX_INTERVAL, description="custom server: pull every … minutes"
    )
    pattern: str = Field(default="*", description="file names taken (glob)")
    after: str = Field(default="keep", description="custom server: keep, move or delete")
    move_to: str = Field(default="processed")
    notify: list[str] = Field(default_factory=list, description="e-mail addresses")


class Delivery(BaseModel):
    server: str = Field(description="hosted (rosterport's SFTP server) or custom")
    model: str = Field(default="passport-roster", description="Data Schema")
    username: str
    auth: str = Field(default="password", description="password or key")
    password: str | None = None
    public_key: str | None = Field(default=None, description="hosted, key-based: OpenSSH .pub")
    private_key: str | None = Field(default=None, description="custom, key-based")
    host: str | None = None
    port: Port = 22
    path: str = Field(default="", description="custom: the folder; empty = home folder")
    advanced: Advanced = Field(default_factory=Advanced)


def hosted_address(settings: Settings) -> str:
    """Where districts connect to the hosted SFTP server."""
    if not settings.sftp_port:
        return "off on this server (ROSTERPORT_SFTP_PORT=0)"
    host = urlsplit(settings.public_url).hostname if settings.public_url else settings.host
    return f"{host}:{settings.sftp_port}"


def settings_from(body: Delivery, *, configured: bool) -> ints.IntegrationSettings:
    a = body.advanced
    if a.mode and a.mode not in {m.value for m in Mode}:
        raise InputError(f"upload mode {a.mode!r} is unknown; choose full or incremental")
    return ints.IntegrationSettings(
        mode=Mode(a.mode) if a.mode else None,
        levels={code: Level.parse(level) for code, level in a.levels.items()},
        thresholds=a.thresholds,
        default_threshold=a.default_threshold,
        interval_minutes=a.interval_minutes,
        pattern=a.pattern,
        after=a.after,
        move_to=a.move_to,
        path=body.path.strip(),
        notify=tuple(a.notify),
        configured=configured,
    ).checked()


def create_integration(hub: Hub, org: Organization, body: Delivery) -> ints.Integration:
    """Delivery Config → a new integration, disabled until Finish Configuration."""
    settings = settings_from(body, configured=False)
    if body.server == "hosted":
        return setup.create_hosted(
            hub,
            org,
            login=body.username.strip(),
            password=body.password if body.auth == "password" else None,
            public_keys=body.public_key if body.auth == "key" else None,
            model=body.model,
            settings=settings,
        )
    return setup.create_pull(
        hub,
        org,
        host=body.host or "",
        port=body.port,
        username=body.username,
        credentials=_credentials(body.auth, body.password, body.private_key),
        model=body.model,
        settings=settings,
    )


def _credentials(auth: str, password: str | None, key: str | None) -> Credentials:
    if auth == "key":
        return Credentials(private_key=key)
    return Credentials(password=password)
