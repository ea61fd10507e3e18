"""An organization's home dashboard: what is in production, what came in last from each
source, what waits for someone (Held, failed), which feeds went quiet, and how many issues
the last versions had. Read-only; every figure comes from the history tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rosterport.domain.preview import Breach
from rosterport.domain.schemas import MODELS
from rosterport.domain.version_status import HELD, PROPAGATION_FAILED, VALIDATION_ERRORS
from rosterport.services.hub import Hub
from rosterport.services.integrations import Integration, list_integrations
from rosterport.services.organizations import Organization
from rosterport.store import dashboard as store

TREND = 8  # versions per dataset in the validation trend
SOURCES = {"web": "Web upload", "api": "REST API", "cli": "Command line", "sftp": "SFTP"}


@dataclass(frozen=True, slots=True)
class VersionLine:
    """One version, as the dashboard shows it."""

    version: int
    model: str
    title: str  # the data model's title
    created_at: datetime
    committed_by: str
    source: str
    status: str
    summary: dict[str, int]  # issues by level: error, warn, info
    changes: dict[str, dict[str, int]]
    filtered: int  # records validation filtered out (Warn) of this upload
    has_report: bool
    breaches: tuple[Breach, ...] = ()  # Held: the safeguards it breached

    @property
    def removed(self) -> int:
        return sum(c.get("removed", 0) for c in self.changes.values())

    @property
    def issues(self) -> int:
        return sum(self.summary.get(k, 0) for k in ("error", "warn", "info"))


@dataclass(frozen=True, slots=True)
class Production:
    """A dataset of the organization: its production version (None: nothing yet)."""

    model: str
    title: str
    current: VersionLine | None
    trend: tuple[VersionLine, ...]  # the last versions, oldest first


@dataclass(frozen=True, slots=True)
class Feed:
    """An SFTP integration and its last delivery."""

    id: int
    name: str
    kind: str
    model: str
    enabled: bool
    last_file_at: datetime | None
    stale_since: datetime | None
    last_status: str | None
    last_at: datetime | None
    last_version: int | None


@dataclass(frozen=True, slots=True)
class Dashboard:
    datasets: tuple[Production, ...]
    last_by_source: tuple[tuple[str, VersionLine], ...]  # (source label, last version)
    feeds: tuple[Feed, ...]
    held: tuple[VersionLine, ...]
    failed: tuple[VersionLine, ...]  # a source's last upload of a model failed validation
    propagation_failed: tuple[VersionLine, ...]

    @property
    def stale(self) -> tuple[Feed, ...]:
        return tuple(f for f in self.feeds if f.stale_since is not None)

    @property
    def needs_action(self) -> bool:
        return bool(self.held or self.failed or self.propagation_failed or self.stale)

    @property
    def most_issues(self) -> int:
        """The largest issue count in any trend (the bars' full width)."""
        return max((line.issues for p in self.datasets for line in p.trend), default=0)


def _line(row: sa.Row[Any]) -> VersionLine:
    detail = dict(row.detail or {})
    model = MODELS.get(row.model)
    return VersionLine(
        int(row.id),
        row.model,
        model.title if model else row.model,
        row.created_at,
        row.committed_by,
        row.source,
        row.status,
        {k: int(n) for k, n in dict(row.summary or {}).items()},
        {f: dict(c) for f, c in dict(row.changes or {}).items()},
        int(detail.get("filtered", 0)),
        row.report is not None,
        tuple(Breach.from_json(b) for b in detail.get("safeguards", ())),
    )


def dashboard(hub: Hub, org: Organization) -> Dashboard:
    """Everything the organization's home page shows."""
    models = [m for m in org.settings.models if m in MODELS]
    with hub.engine.connect() as conn:
        current = store.current_version_ids(conn, org.id)
        lines: dict[str, list[VersionLine]] = {}
        for model in models:
            lines[model] = [_line(r) for r in store.last_versions(conn, org.id, model, limit=TREND)]
        production: dict[str, VersionLine] = {}
        wanted = [i for m, i in current.items() if i is not None and m in models]
        if wanted:
            for live in store.by_ids(conn, wanted):
                production[live.model] = _line(live)
        by_source: list[tuple[str, VersionLine]] = []
        for source, label in SOURCES.items():
            row = store.last_of_source(conn, org.id, source)
            if row is not None:
                by_source.append((label, _line(row)))
        waiting = store.with_status(conn, org.id, [HELD, PROPAGATION_FAILED])
        feeds = [_feed(conn, i) for i in list_integrations(hub, org)]
    held = tuple(_line(r) for r in waiting if r.status == HELD)
    stuck = tuple(_line(r) for r in waiting if r.status == PROPAGATION_FAILED)
    failed = tuple(line for m in models for line in _last_failed(lines[m]))
    return Dashboard(
        tuple(
            Production(m, MODELS[m].title, production.get(m), tuple(reversed(lines[m])))
            for m in models
        ),
        tuple(by_source),
        tuple(feeds),
        held,
        failed,
        stuck,
    )


def _last_failed(lines: list[VersionLine]) -> list[VersionLine]:
    """The versions (newest first) that are the last of their source and failed validation:
    a failed upload waits for a fix until the same source uploads that model again."""
    last: dict[str, VersionLine] = {}
    for line in lines:
        last.setdefault(line.source, line)
    return [line for line in last.values() if line.status == VALIDATION_ERRORS]


def _feed(conn: sa.Connection, integration: Integration) -> Feed:
    run = store.last_run(conn, integration.id)
    return Feed(
        integration.id,
        integration.name,
        integration.kind,
        integration.model,
        integration.enabled,
        integration.last_file_at,
        integration.stale_since,
        None if run is None else str(run.status),
        None if run is None else run.created_at,
        None if run is None else run.version_id,
    )
