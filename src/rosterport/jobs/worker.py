"""Workers: claim a job, run its handler, record the outcome; repeat."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa

from rosterport.jobs import queue
from rosterport.jobs.queue import Job

Handler = Callable[[Job], None]
log = logging.getLogger(__name__)


class Worker:
    """Runs jobs of the kinds it has handlers for."""

    def __init__(
        self,
        engine: sa.Engine,
        handlers: Mapping[str, Handler],
        *,
        name: str | None = None,
        lease: timedelta = timedelta(minutes=5),
        poll_interval: float = 1.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.handlers = dict(handlers)
        self.name = name or queue.worker_name()
        self.lease = lease
        self.poll_interval = poll_interval
        self.clock = clock

    def run_once(self) -> bool:
        """Claim and run at most one job; whether one ran."""
        now = self.clock() if self.clock else None
        job = queue.claim(
            self.engine, self.name, lease=self.lease, kinds=list(self.handlers), now=now
        )
        if job is None:
            return False
        try:
            self.handlers[job.kind](job)
        except Exception as error:  # any handler failure is recorded on the job, then retried
            log.warning("job %s (%s) failed: %s", job.id, job.kind, error)
            queue.fail(self.engine, job.id, self.name, f"{type(error).__name__}: {error}", now=now)
        else:
            queue.complete(self.engine, job.id, self.name)
        return True

    def drain(self, max_jobs: int = 1000) -> int:
        """Run jobs until none is ready (or `max_jobs` ran); how many ran."""
        ran = 0
        while ran < max_jobs and self.run_once():
            ran += 1
        return ran

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set, sleeping `poll_interval` when idle."""
        while not stop.is_set():
            if not self.run_once():
                stop.wait(self.poll_interval)
