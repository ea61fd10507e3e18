"""Organizations (districts) and their settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from rosterport.domain.issues import Level, issue_type
from rosterport.domain.policy import Mode
from rosterport.domain.schemas import MODELS
from rosterport.errors import InputError
from rosterport.services.hub import Hub
from rosterport.store.engine import immediate
from rosterport.store.tables import organizations

DEFAULT_THRESHOLD = 0.10  # Full mode: removing more than 10% of a file's records needs a yes
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")


class OrganizationNotFoundError(InputError):
    """No organization with that slug."""


@dataclass(frozen=True, slots=True)
class OrgSettings:
    """What an organization decides: upload mode, issue levels, safeguards, models."""

    mode: Mode = Mode.FULL
    levels: Mapping[str, Level] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)  # per file name
    default_threshold: float = DEFAULT_THRESHOLD
    models: tuple[str, ...] = tuple(MODELS)

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
        taken = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.slug == slug)
        ).first()
        if taken is not None:
            raise InputError(f"organization {slug!r} already exists")
        settings = OrgSettings()
        org_id = conn.execute(
            sa.insert(organizations)
            .values(
                slug=slug,
                name=name or slug,
                settings=settings.to_json(),
                created_at=hub.clock(),
            )
            .returning(organizations.c.id)
        ).scalar_one()
    return Organization(org_id, slug, name or slug, settings)


def get_org(hub: Hub, slug: str) -> Organization:
    """The organization called `slug`; OrganizationNotFoundError otherwise."""
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(organizations).where(organizations.c.slug == slug)).first()
    if row is None:
        raise OrganizationNotFoundError(
            f"no organization {slug!r}; create it with `rosterport org create {slug}`"
        )
    return Organization(row.id, row.slug, row.name, OrgSettings.from_json(row.settings or {}))


def update_settings(hub: Hub, org: Organization, settings: OrgSettings) -> Organization:
    with hub.engine.begin() as conn:
        conn.execute(
            sa.update(organizations)
            .where(organizations.c.id == org.id)
            .values(settings=settings.to_json())
        )
    return Organization(org.id, org.slug, org.name, settings)
