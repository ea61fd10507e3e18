"""Workers: claim a job, run its handler, record the outcome; repeat.

`rosterport worker` runs `Worker.run` until stopped; `rosterport serve` on SQLite runs one
embedded worker in a thread; CLI commands that enqueue work can `drain` in-process.

While a handler runs, a heartbeat thread extends the job's lease every third of it, so a job
that takes longer than the lease is not claimed again by another worker; only a worker that
stops heart-beating (it died) loses its jobs. Handlers must still be idempotent: delivery is
at-least-once.

A worker starting (`run`, `drain`) first frees the jobs of dead workers on the same machine
(`queue.release_dead`), and looks again every `RECOVER_EVERY` seconds while idle: after a
crash the interrupted job runs again at once (here, or in a sibling worker), not when its
lease runs out. A handler that raises `JobDeferred` (what it needs is held by
another job) has its job queued again for a little later without counting an attempt. A lease
that cannot be extended (the database busy) or that was lost is logged, without a traceback.

`chores` are housekeeping calls (expiring abandoned uploads and deleting their files) that
`run` makes when idle, every `chore_every` on the worker's clock.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa

from rosterport import logs
from rosterport.clock import Clock, monotonic
from rosterport.errors import JobDeferred
from rosterport.store import jobs as queue
from rosterport.store.jobs import Job

Handler = Callable[[Job], None]
RECOVER_EVERY = 10.0  # seconds between looks for the jobs of dead workers, while idle
log = logging.getLogger(__name__)


class Worker:
    """Runs jobs of the kinds it has handlers for (and only those)."""

    def __init__(
        self,
        engine: sa.Engine,
        handlers: Mapping[str, Handler],
        *,
        clock: Clock,
        name: str | None = None,
        lease: timedelta = queue.DEFAULT_LEASE,
        poll_interval: float = 1.0,
        chores: Mapping[str, Callable[[], object]] | None = None,
        chore_every: timedelta = timedelta(hours=1),
    ) -> None:
        self.engine = engine
        self.handlers = dict(handlers)
        self.name = name or queue.worker_name()
        self.lease = lease
        self.poll_interval = poll_interval
        self.clock = clock
        self.chores = dict(chores or {})
        self.chore_every = chore_every
        self._chores_done: datetime | None = None
        self._recovered = monotonic()

    def run_once(self) -> bool:
        """Claim and run at most one job; whether one ran. A handler's exception fails the
        attempt with the exception's type and message (the job is retried or gives up)."""
        job = queue.claim(
            self.engine, self.name, lease=self.lease, kinds=list(self.handlers), now=self.clock()
        )
        if job is None:
            return False
        with logs.job_context(job.id, job.kind):  # every line of this job names it
            try:
                with self._heartbeat(job):
                    self.handlers[job.kind](job)
            except JobDeferred as deferred:
                now = self.clock()
                run_at = now + timedelta(seconds=deferred.seconds)
                queue.defer(self.engine, job.id, self.name, run_at=run_at, now=now)
                log.info("job %s (%s) deferred: %s", job.id, job.kind, deferred)
            except Exception as error:  # any handler failure is recorded on the job, not raised
                outcome = queue.fail(
                    self.engine,
                    job.id,
                    self.name,
                    f"{type(error).__name__}: {error}",
                    now=self.clock(),
                )
                log.warning(
                    "job %s (%s) attempt %s %s: %s", job.id, job.kind, job.attempts, outcome, error
                )
            else:
                queue.complete(self.engine, job.id, self.name, now=self.clock())
        return True

    def recover(self) -> list[int]:
        """Free the jobs of dead workers on this machine; their ids."""
        freed = queue.release_dead(self.engine, socket.gethostname(), now=self.clock())
        if freed:
            log.warning("jobs %s of a stopped worker run again now", freed)
        return freed

    def drain(self, max_jobs: int = 1000) -> int:
        """Run jobs until none is ready (or `max_jobs` ran); how many ran."""
        self.recover()
        ran = 0
        while ran < max_jobs and self.run_once():
            ran += 1
        return ran

    def run(self, stop: threading.Event) -> None:
        """Run jobs until `stop` is set, sleeping `poll_interval` when idle. Database errors
        (the server restarting, say) are logged and waited out, not fatal."""
        try:
            self.recover()
        except sa.exc.DBAPIError:
            log.warning("worker %s: could not look for interrupted jobs yet", self.name)
        while not stop.is_set():
            try:
                ran = self.run_once()
            except sa.exc.DBAPIError as error:  # transient outage: keep the worker alive
                reason = str(error.orig).splitlines()[0] if error.orig else "database error"
                log.warning("worker %s: database unavailable (%s); retrying", self.name, reason)
                ran = False
            if not ran:
                self._recover_now_and_then()
                self.do_chores()
                stop.wait(self.poll_interval)

    def _recover_now_and_then(self) -> None:
        """While idle, every `RECOVER_EVERY` seconds: free the jobs of workers on this machine
        that died (a sibling killed mid-job: its job runs here now, not after its lease)."""
        if monotonic() - self._recovered < RECOVER_EVERY:
            return
        self._recovered = monotonic()
        try:
            self.recover()
        except sa.exc.DBAPIError:
            log.warning("worker %s: could not look for interrupted jobs", self.name)

    def do_chores(self) -> None:
        """Run the chores if `chore_every` has passed since they last ran (a failing chore is
        logged and tried again next time)."""
        now = self.clock()
        if self._chores_done is not None and now - self._chores_done < self.chore_every:
            return
        self._chores_done = now
        for name, chore in self.chores.items():
            try:
                chore()
            except Exception as error:  # housekeeping must never stop the worker
                log.warning("worker %s: %s failed (%s); trying again later", self.name, name, error)

    @contextmanager
    def _heartbeat(self, job: Job) -> Iterator[None]:
        """Extend `job`'s lease every third of the lease until the block ends."""
        done = threading.Event()
        every = self.lease.total_seconds() / 3

        def beat() -> None:
            while not done.wait(every):
                try:
                    held = queue.extend_lease(
                        self.engine, job.id, self.name, self.lease, now=self.clock()
                    )
                except sa.exc.DBAPIError as error:  # busy or unreachable: try next beat
                    reason = str(error.orig).splitlines()[0] if error.orig else "database error"
                    log.warning(
                        "job %s: could not extend its lease (%s); trying again", job.id, reason
                    )
                    continue
                if not held:
                    log.warning("job %s: lease lost to another worker", job.id)
                    return

        thread = threading.Thread(target=beat, name=f"lease-{job.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
