"""The job queue on both databases: outbox, leases, retries, concurrent workers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from rosterport.jobs import queue
from rosterport.jobs.queue import Job
from rosterport.jobs.worker import Worker


def add(engine: sa.Engine, kind: str = "work", **payload: object) -> int:
    with engine.begin() as conn:
        return queue.enqueue(conn, kind, dict(payload), max_attempts=3)


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(engine: sa.Engine) -> None:
    def change_state_then_fail() -> None:
        with engine.begin() as conn:
            queue.enqueue(conn, "work", {})
            raise RuntimeError("the state change failed")

    with pytest.raises(RuntimeError):
        change_state_then_fail()
    assert queue.claim(engine, "w1") is None


def test_claim_and_complete(engine: sa.Engine) -> None:
    job_id = add(engine, n=1)
    job = queue.claim(engine, "w1")
    assert job == Job(job_id, "work", {"n": 1}, 1, 3)
    assert queue.claim(engine, "w2") is None  # leased to w1
    queue.complete(engine, job_id, "w1")
    assert [j["state"] for j in queue.list_jobs(engine)] == ["done"]


def test_an_expired_lease_is_claimed_again(engine: sa.Engine) -> None:
    add(engine)
    now = datetime.now(UTC)
    first = queue.claim(engine, "crashed", lease=timedelta(seconds=30), now=now)
    assert first is not None
    assert queue.claim(engine, "w2", now=now + timedelta(seconds=10)) is None
    again = queue.claim(engine, "w2", now=now + timedelta(seconds=31))
    assert again is not None
    assert again.id == first.id
    assert again.attempts == 2


def test_failures_back_off_then_fail_and_can_be_retried(engine: sa.Engine) -> None:
    job_id = add(engine)
    now = datetime.now(UTC)
    outcomes = []
    for attempt in range(3):
        job = queue.claim(engine, "w", now=now)
        assert job is not None, attempt
        outcomes.append(queue.fail(engine, job.id, "w", "boom", now=now))
        assert queue.claim(engine, "w", now=now) is None  # backing off
        now += queue.backoff(attempt + 1) + timedelta(seconds=1)
    assert outcomes == ["retrying", "retrying", "failed"]
    failed = queue.list_jobs(engine, state="failed")
    assert [(j["id"], j["last_error"]) for j in failed] == [(job_id, "boom")]
    queue.retry(engine, job_id)
    again = queue.claim(engine, "w", now=now)
    assert again is not None
    assert again.attempts == 1


def test_backoff_is_exponential_and_capped() -> None:
    assert [queue.backoff(n).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert queue.backoff(30) == queue.MAX_BACKOFF


def test_concurrent_workers_run_each_job_once(engine: sa.Engine) -> None:
    for n in range(40):
        add(engine, n=n)
    ran: Counter[int] = Counter()
    lock = threading.Lock()

    def handler(job: Job) -> None:
        with lock:
            ran[int(job.payload["n"])] += 1

    workers = [Worker(engine, {"work": handler}, name=f"w{i}") for i in range(4)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ran == Counter(range(40))
    assert {j["state"] for j in queue.list_jobs(engine)} == {"done"}


def test_worker_records_a_failing_handler(engine: sa.Engine) -> None:
    add(engine)

    def broken(job: Job) -> None:
        raise ValueError(f"no such version {job.payload.get('v', 7)}")

    assert Worker(engine, {"work": broken}).run_once() is True
    (job,) = queue.list_jobs(engine)
    assert job["state"] == "queued"
    assert job["last_error"] == "ValueError: no such version 7"


def test_worker_run_stops_on_the_event(engine: sa.Engine) -> None:
    done = threading.Event()
    stop = threading.Event()

    def handler(job: Job) -> None:
        assert job.kind == "work"
        done.set()
        stop.set()

    add(engine)
    worker = Worker(engine, {"work": handler}, poll_interval=0.01)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    thread.join(timeout=10)
    assert done.is_set()
    assert not thread.is_alive()
