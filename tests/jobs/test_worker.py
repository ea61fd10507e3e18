"""Workers on both databases: run_once, drain, run until stopped, heartbeats, many workers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from rosterport.jobs.worker import Worker
from rosterport.store import jobs as queue
from rosterport.store.jobs import Job
from tests.conftest import EPOCH, TickingClock


def add(engine: sa.Engine, kind: str = "work", **payload: object) -> int:
    with engine.begin() as conn:
        return queue.enqueue(conn, kind, dict(payload), now=EPOCH, max_attempts=3)


def test_run_once_runs_one_job(engine: sa.Engine) -> None:
    seen: list[Job] = []
    worker = Worker(engine, {"work": seen.append}, clock=TickingClock(), name="w")
    assert worker.run_once() is False
    job_id = add(engine, n=1)
    add(engine, n=2)
    assert worker.run_once() is True
    assert seen == [Job(job_id, "work", {"n": 1}, 1, 3)]
    assert [j["state"] for j in queue.list_jobs(engine)] == ["done", "queued"]


def test_a_failing_handler_fails_the_attempt(engine: sa.Engine) -> None:
    add(engine)

    def broken(job: Job) -> None:
        raise ValueError(f"no such version {job.payload.get('v', 7)}")

    assert Worker(engine, {"work": broken}, clock=TickingClock()).run_once() is True
    (job,) = queue.list_jobs(engine)
    assert job["state"] == "queued"
    assert job["last_error"] == "ValueError: no such version 7"


def test_drain_runs_what_is_ready_and_retries_with_the_workers_clock(engine: sa.Engine) -> None:
    def clock() -> datetime:
        return now

    calls: Counter[int] = Counter()

    def flaky(job: Job) -> None:
        calls[job.id] += 1
        if job.payload.get("flaky") and job.attempts < 3:
            raise RuntimeError("not yet")

    for n in range(4):
        add(engine, n=n)
    flaky_id = add(engine, flaky=True)
    now = EPOCH  # the jobs are due from when they were enqueued
    worker = Worker(engine, {"work": flaky}, clock=clock)
    assert worker.drain(max_jobs=2) == 2
    assert worker.drain() == 3  # the flaky job's first attempt; then it backs off
    assert worker.drain() == 0
    now += queue.backoff(1)
    assert worker.drain() == 1
    now += queue.backoff(2)
    assert worker.drain() == 1
    assert calls[flaky_id] == 3
    assert {j["state"] for j in queue.list_jobs(engine)} == {"done"}


def test_a_worker_takes_only_kinds_it_can_run(engine: sa.Engine) -> None:
    add(engine, "other")
    assert Worker(engine, {"work": lambda _job: None}, clock=TickingClock()).drain() == 0
    assert Worker(engine, {}, clock=TickingClock()).drain() == 0
    assert [j["state"] for j in queue.list_jobs(engine)] == ["queued"]


def test_run_stops_on_the_event(engine: sa.Engine) -> None:
    stop = threading.Event()
    ran: list[int] = []

    def handler(job: Job) -> None:
        ran.append(job.id)
        if len(ran) == 2:
            stop.set()

    worker = Worker(engine, {"work": handler}, clock=TickingClock(), poll_interval=0.01)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    first = add(engine)
    time.sleep(0.1)  # idle polls in between
    second = add(engine)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert ran == [first, second]


def test_run_survives_a_database_error(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()
    real_claim = queue.claim
    outages = [sa.exc.OperationalError("SELECT", None, Exception("server restarting"))]

    def claim(*args: object, **kwargs: object) -> Job | None:
        if outages:
            raise outages.pop()
        return real_claim(*args, **kwargs)  # type: ignore[arg-type]  # passed through as is

    monkeypatch.setattr(queue, "claim", claim)
    add(engine)
    worker = Worker(
        engine, {"work": lambda _job: stop.set()}, clock=TickingClock(), poll_interval=0.01
    )
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert [j["state"] for j in queue.list_jobs(engine)] == ["done"]


def test_a_long_job_keeps_its_lease_while_it_runs(engine: sa.Engine) -> None:
    """The heartbeat extends the lease: no second worker runs the job meanwhile."""
    add(engine)
    lease = timedelta(seconds=0.6)
    stolen: list[Job] = []
    clock = TickingClock()

    def slow(_job: Job) -> None:
        deadline = time.monotonic() + 2.0  # more than three leases
        while time.monotonic() < deadline:
            if (other := queue.claim(engine, "thief", lease=lease, now=clock())) is not None:
                stolen.append(other)
            time.sleep(0.1)

    assert Worker(engine, {"work": slow}, clock=clock, name="slowpoke", lease=lease).run_once()
    assert stolen == []
    (job,) = queue.list_jobs(engine)
    assert (job["state"], job["attempts"]) == ("done", 1)


def test_many_workers_run_each_job_once(engine: sa.Engine) -> None:
    """50 jobs, 4 worker threads draining together: each job runs exactly once."""
    for n in range(50):
        add(engine, n=n)
    ran: Counter[int] = Counter()
    by: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(4)

    def handler(job: Job) -> None:
        with lock:
            ran[int(job.payload["n"])] += 1
            by[threading.current_thread().name] += 1

    workers = [
        Worker(engine, {"work": handler}, clock=TickingClock(), name=f"w{i}") for i in range(4)
    ]

    def drain(worker: Worker) -> None:
        start.wait()
        worker.drain()

    threads = [threading.Thread(target=drain, args=(w,), name=w.name) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ran == Counter(range(50))
    assert sum(by.values()) == 50
    assert {j["state"] for j in queue.list_jobs(engine)} == {"done"}


def test_chores_run_when_idle_every_so_often(engine: sa.Engine) -> None:
    """Housekeeping (expiring abandoned uploads) runs from the idle loop on the worker's
    clock; a failing chore is logged and does not stop the others or the worker."""
    from tests.conftest import Clock

    clock = Clock()
    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("no disk")

    worker = Worker(
        engine,
        {},
        clock=clock,
        chores={"broken": broken, "tidy": lambda: ran.append("tidy")},
        chore_every=timedelta(hours=1),
    )
    worker.do_chores()
    worker.do_chores()  # not yet due again
    assert ran == ["broken", "tidy"]
    clock.now += timedelta(hours=1)
    worker.do_chores()
    assert ran == ["broken", "tidy", "broken", "tidy"]
