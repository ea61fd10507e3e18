"""Organizations (districts) and their settings."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rosterport.domain.issue_type import Level
from rosterport.domain.issues import issue_type
from rosterport.domain.policy import Mode
from rosterport.domain.schemas import MODELS
from rosterport.errors import InputError, OrganizationNotFoundError
from rosterport.services.hub import Hub
from rosterport.store import organizations as store
from rosterport.store.engine import immediate

DEFAULT_THRESHOLD = 0.10  # Full mode: removing more than 10% of a file's records needs a yes
DEFAULT_FILTERED = 0.10  # an unattended upload filtering more than 10% of a file is Held
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")


@dataclass(frozen=True, slots=True)
class OrgSettings:
    """What an organization decides: upload mode, issue levels, safeguards, models."""

    mode: Mode = Mode.FULL
    levels: Mapping[str, Level] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)  # per file name
    default_threshold: float = DEFAULT_THRESHOLD
    models: tuple[str, ...] = tuple(MODELS)
    filtered_threshold: float = DEFAULT_FILTERED  # unattended (SFTP): share filtered, per file
    events_on_first_load: bool = False  # a first roster load: every object a created event

    def threshold(self, file: str) -> float:
        return self.thresholds.get(file, self.default_threshold)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OrgSettings:
        return cls(
            mode=Mode(data.get("mode", Mode.FULL.value)),
            levels={code: Level.parse(level) for code, level in data.get("levels", {}).items()},
            thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()},
            default_threshold=float(data.get("default_threshold", DEFAULT_THRESHOLD)),
            models=tuple(data.get("models", MODELS)),
            filtered_threshold=float(data.get("filtered_threshold", DEFAULT_FILTERED)),
            events_on_first_load=bool(data.get("events_on_first_load", False)),
        )

    def to_json(self) -> dict[str, Any]:
        for code in self.levels:
            issue_type(code)
        return {
            "mode": self.mode.value,
            "levels": {code: level.value for code, level in self.levels.items()},
            "thresholds": dict(self.thresholds),
            "default_threshold": self.default_threshold,
            "models": list(self.models),
            "filtered_threshold": self.filtered_threshold,
            "events_on_first_load": self.events_on_first_load,
        }


@dataclass(frozen=True, slots=True)
class Organization:
    id: int
    slug: str
    name: str
    settings: OrgSettings


def create_org(hub: Hub, slug: str, name: str | None = None) -> Organization:
    """A new organization; InputError when the slug is malformed or taken."""
    if not _SLUG.match(slug):
        raise InputError(
            f"organization slug {slug!r} must be 3–100 characters of a-z, 0-9 and '-', "
            "starting and ending with a letter or digit (e.g. springfield-usd)"
        )
    with immediate(hub.engine).begin() as conn:  # read, then create: one writer
        if store.by_slug(conn, slug) is not None:
            raise InputError(f"organization {slug!r} already exists")
        settings = OrgSettings()
        org_id = store.insert(conn, slug, name or slug, settings.to_json(), now=hub.clock())
    return Organization(org_id, slug, name or slug, settings)


def get_org(hub: Hub, slug: str) -> Organization:
    """The organization called `slug`; OrganizationNotFoundError otherwise."""
    with hub.engine.connect() as conn:
        row = store.by_slug(conn, slug)
    if row is None:
        raise OrganizationNotFoundError(
            f"no organization {slug!r}; create it with `rosterport org create {slug}`"
        )
    return Organization(row.id, row.slug, row.name, OrgSettings.from_json(row.settings or {}))


def update_settings(hub: Hub, org: Organization, settings: OrgSettings) -> Organization:
    with hub.engine.begin() as conn:
        store.set_settings(conn, org.id, settings.to_json())
    return Organization(org.id, org.slug, org.name, settings)


def list_orgs(hub: Hub) -> list[Organization]:
    """Every organization, by slug."""
    with hub.engine.connect() as conn:
        rows = store.all_by_slug(conn)
    return [
        Organization(r.id, r.slug, r.name, OrgSettings.from_json(r.settings or {})) for r in rows
    ]


def org_by_id(hub: Hub, org_id: int) -> Organization:
    with hub.engine.connect() as conn:
        row = store.by_id(conn, org_id)
    if row is None:
        raise OrganizationNotFoundError(f"no organization with id {org_id}")
    return Organization(row.id, row.slug, row.name, OrgSettings.from_json(row.settings or {}))


def checked_settings(
    *,
    mode: str,
    levels: Mapping[str, str],
    default_threshold: float,
    thresholds: Mapping[str, float],
    models: Sequence[str],
    filtered_threshold: float = DEFAULT_FILTERED,
    events_on_first_load: bool = False,
) -> OrgSettings:
    """Settings from what a person typed (form or API), each value checked with a message
    that says what to change."""
    try:
        chosen_mode = Mode(mode)
    except ValueError:
        raise InputError(f"upload mode {mode!r} is unknown; choose full or incremental") from None
    parsed: dict[str, Level] = {}
    for code, level in levels.items():
        issue = issue_type(code)
        if not issue.record:
            raise InputError(f"the level of {code} is fixed and cannot be changed")
        parsed[code] = Level.parse(level)
    shares = {"default": default_threshold, **thresholds, "filtered records": filtered_threshold}
    for name, share in shares.items():
        if not 0 <= share <= 1:
            raise InputError(
                f"safeguard for {name} is {share:.0%}; give a share between 0% and 100%"
            )
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise InputError(f"unknown data model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")
    if not models:
        raise InputError("enable at least one data model")
    return OrgSettings(
        chosen_mode,
        parsed,
        dict(thresholds),
        default_threshold,
        tuple(dict.fromkeys(models)),
        filtered_threshold,
        events_on_first_load,
    )
