"""Pulls from organizations' own SFTP servers as jobs: scheduled once, run by any worker.

Every round of any `serve` process's SFTP scheduler calls `schedule_due`: a pull whose
interval has passed is stamped as started (compare-and-set on `last_pull_at`, so of several
schedulers one takes it) and gets an `sftp-pull` job in the same transaction; a pull that
still has a job queued or running gets no second one. The job's handler (`sftp/pull.py`,
`run_job`) connects, mirrors, processes.
"""

from __future__ import annotations

from typing import Final

from rosterport.services.hub import Hub
from rosterport.services.integrations import PULL, Integration, list_integrations, pull_due
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
