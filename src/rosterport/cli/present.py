"""What the commands that manage an organization's applications share: their answer (JSON
with `--format json`, else a line for people) and running one queued job in this process."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from rosterport.jobs.worker import Worker
from rosterport.services.hub import Hub
from rosterport.store import jobs as queue
from rosterport.store.jobs import Job


def show(payload: Any, args: argparse.Namespace, text: str) -> None:
    """Print `payload` as JSON with `--format json`, else `text`."""
    print(json.dumps(payload, ensure_ascii=False, indent=2) if args.format == "json" else text)


def run_job_now(hub: Hub, job_id: int, kind: str, handler: Callable[[Job], None]) -> dict[str, Any]:
    """Run the queued jobs of `kind` in this process (other due ones of that kind run too) and
    return job `job_id` as it ended."""
    Worker(hub.engine, {kind: handler}, clock=hub.clock).drain()
    (job,) = [j for j in queue.list_jobs(hub.engine) if j["id"] == job_id]
    return job


def done(job: dict[str, Any]) -> bool:
    """Whether the job finished."""
    return bool(job["state"] == queue.DONE)
