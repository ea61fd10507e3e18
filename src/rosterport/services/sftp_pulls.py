"""Pulls from organizations' own SFTP servers: when one is due, its job, and what it saw.

Every round of any `serve` process's SFTP scheduler calls `schedule_due`: a pull whose
interval has passed is stamped as started (compare-and-set on `last_pull_at`, so of several
schedulers one takes it) and gets an `sftp-pull` job in the same transaction; a pull that
still has a job queued or running gets no second one. The job's handler (`sftp/pull.py`,
`run_job`) connects, mirrors, processes; it stamps the pull's end (`mark_pulled`) and keeps
what the server listed of the files it downloaded (`seen_files`, `record_seen`,
`forget_seen`), so that the next pull downloads only what is new or changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from rosterport.services.hub import Hub
from rosterport.services.integrations import PULL, Integration, list_integrations, set_columns
from rosterport.store import integrations as store
from rosterport.store import jobs as queue
from rosterport.store.engine import immediate

PULL_JOB: Final = "sftp-pull"
MAX_ATTEMPTS: Final = 3  # a pull reports its own failures; this covers a worker that died


def schedule_due(hub: Hub, *, quiet_seconds: float) -> list[int]:
    """Queue the pulls that are due (each once); their integration ids. `quiet_seconds`:
    how long a file must be unchanged on the server before it is taken."""
    queued = []
    for integration in list_integrations(hub, kind=PULL):
        if pull_due(hub, integration) and _take(hub, integration, quiet_seconds):
            queued.append(integration.id)
    return queued


def _take(hub: Hub, integration: Integration, quiet_seconds: float) -> bool:
    now = hub.clock()
    with immediate(hub.engine).begin() as conn:  # read, then write: one writer on SQLite
        pending = queue.open_payloads(conn, PULL_JOB)
        if any(p.get("integration") == integration.id for p in pending):
            return False
        if not store.take_pull(conn, integration.id, last=integration.last_pull_at, now=now):
            return False
        payload = {"integration": integration.id, "quiet_seconds": quiet_seconds}
        queue.enqueue(conn, PULL_JOB, payload, now=now, max_attempts=MAX_ATTEMPTS)
    return True


def mark_pulled(hub: Hub, integration: Integration) -> None:
    """Stamp the pull as having run now."""
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
    """The files the pull downloaded, by name, as the server listed them then."""
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
