"""The job queue on both databases: outbox, claims, leases, retries with back-off."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from rosterport.store import jobs as queue
from rosterport.store.jobs import Job

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def add(engine: sa.Engine, kind: str = "work", **payload: object) -> int:
    with engine.begin() as conn:
        return queue.enqueue(conn, kind, dict(payload), now=NOW, max_attempts=3)


def states(engine: sa.Engine) -> list[str]:
    return [j["state"] for j in queue.list_jobs(engine)]


def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(engine: sa.Engine) -> None:
    def change_state_then_fail() -> None:
        with engine.begin() as conn:
            queue.enqueue(conn, "work", {}, now=NOW)
            raise RuntimeError("the state change failed")

    with pytest.raises(RuntimeError):
        change_state_then_fail()
    assert queue.list_jobs(engine) == []
    assert queue.claim(engine, "w1", now=NOW) is None


def test_a_job_commits_with_the_state_change(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE thing (n INTEGER)"))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO thing VALUES (1)"))
        job_id = queue.enqueue(conn, "work", {"thing": 1}, now=NOW)
        with engine.connect() as other:  # not visible before the commit
            assert other.execute(sa.text("SELECT count(*) FROM jobs")).scalar() == 0
    (job,) = queue.list_jobs(engine)
    assert (job["id"], job["state"], job["payload"], job["attempts"]) == (
        job_id,
        "queued",
        {"thing": 1},
        0,
    )


def test_claim_and_complete(engine: sa.Engine) -> None:
    job_id = add(engine, n=1)
    job = queue.claim(engine, "w1", now=NOW)
    assert job == Job(job_id, "work", {"n": 1}, 1, 3)
    assert queue.claim(engine, "w2", now=NOW) is None  # leased to w1
    (running,) = queue.list_jobs(engine)
    assert (running["state"], running["locked_by"]) == ("running", "w1")
    assert running["locked_until"] == NOW + queue.DEFAULT_LEASE
    queue.complete(engine, job_id, "w1", now=NOW)
    (done,) = queue.list_jobs(engine)
    assert done["state"] == "done"
    assert done["finished_at"].tzinfo == UTC


def test_jobs_wait_for_their_time_and_come_oldest_first(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        later = queue.enqueue(conn, "work", {}, now=NOW, run_at=NOW + timedelta(minutes=1))
        first = queue.enqueue(conn, "work", {}, now=NOW, run_at=NOW - timedelta(minutes=2))
        second = queue.enqueue(conn, "work", {}, now=NOW, run_at=NOW - timedelta(minutes=1))
    claimed = [queue.claim(engine, "w", now=NOW) for _ in range(3)]
    assert [j.id if j else None for j in claimed] == [first, second, None]
    job = queue.claim(engine, "w", now=NOW + timedelta(minutes=1))
    assert job is not None
    assert job.id == later


def test_claim_takes_only_the_kinds_asked_for(engine: sa.Engine) -> None:
    add(engine, "propagate")
    mail = add(engine, "mail")
    assert queue.claim(engine, "w", kinds=[], now=NOW) is None
    job = queue.claim(engine, "w", kinds=["mail", "sftp"], now=NOW)
    assert job is not None
    assert (job.id, job.kind) == (mail, "mail")
    assert queue.claim(engine, "w", kinds=["mail"], now=NOW) is None


def test_an_expired_lease_is_claimed_again(engine: sa.Engine) -> None:
    add(engine)
    first = queue.claim(engine, "crashed", lease=timedelta(seconds=30), now=NOW)
    assert first is not None
    assert queue.claim(engine, "w2", now=NOW + timedelta(seconds=10)) is None
    again = queue.claim(engine, "w2", now=NOW + timedelta(seconds=31))
    assert again is not None
    assert (again.id, again.attempts) == (first.id, 2)
    # the crashed worker comes back: its outcome no longer counts
    queue.complete(engine, first.id, "crashed", now=NOW)
    assert queue.fail(engine, first.id, "crashed", "late", now=NOW) == "lost"
    assert states(engine) == ["running"]
    queue.complete(engine, again.id, "w2", now=NOW)
    assert states(engine) == ["done"]


def test_extending_a_lease_keeps_the_job(engine: sa.Engine) -> None:
    add(engine)
    job = queue.claim(engine, "w1", lease=timedelta(seconds=30), now=NOW)
    assert job is not None
    later = NOW + timedelta(seconds=25)
    assert queue.extend_lease(engine, job.id, "w1", timedelta(seconds=30), now=later)
    assert queue.claim(engine, "w2", now=NOW + timedelta(seconds=40)) is None
    assert not queue.extend_lease(engine, job.id, "w2", timedelta(seconds=30), now=later)
    stolen = queue.claim(engine, "w2", now=NOW + timedelta(seconds=56))
    assert stolen is not None
    assert not queue.extend_lease(engine, job.id, "w1", timedelta(seconds=30), now=later)


def test_failures_back_off_then_fail_and_can_be_retried(engine: sa.Engine) -> None:
    job_id = add(engine)
    now = NOW
    outcomes = []
    for attempt in (1, 2, 3):
        job = queue.claim(engine, "w", now=now)
        assert job is not None, attempt
        assert job.attempts == attempt
        outcomes.append(queue.fail(engine, job.id, "w", f"boom {attempt}", now=now))
        if attempt < 3:
            (waiting,) = queue.list_jobs(engine)
            assert waiting["run_at"] == now + timedelta(seconds=2**attempt)
            assert queue.claim(engine, "w", now=now + timedelta(seconds=2**attempt - 1)) is None
        now += timedelta(seconds=2**attempt)
    assert outcomes == ["retrying", "retrying", "failed"]
    assert queue.claim(engine, "w", now=now + timedelta(days=1)) is None  # gave up
    (failed,) = queue.list_jobs(engine, state="failed")
    assert (failed["id"], failed["last_error"], failed["attempts"]) == (job_id, "boom 3", 3)
    later = now + timedelta(days=2)  # retried long after it failed: due at once
    queue.retry(engine, job_id, now=later)
    assert queue.claim(engine, "w", now=later - timedelta(seconds=1)) is None
    again = queue.claim(engine, "w", now=later)
    assert again is not None
    assert (again.id, again.attempts) == (job_id, 1)


def test_retry_leaves_jobs_that_did_not_fail_alone(engine: sa.Engine) -> None:
    job_id = add(engine)
    queue.retry(engine, job_id, now=NOW)
    assert states(engine) == ["queued"]
    assert queue.claim(engine, "w", now=NOW) is not None
    queue.retry(engine, job_id, now=NOW)
    assert states(engine) == ["running"]


def test_backoff_is_exponential_and_capped() -> None:
    assert [queue.backoff(n).total_seconds() for n in (1, 2, 3, 11)] == [2, 4, 8, 2048]
    assert queue.backoff(12) == queue.backoff(1000) == queue.MAX_BACKOFF == timedelta(hours=1)


def test_long_errors_are_cut(engine: sa.Engine) -> None:
    add(engine)
    job = queue.claim(engine, "w", now=NOW)
    assert job is not None
    queue.fail(engine, job.id, "w", "x" * 10_000, now=NOW)
    (row,) = queue.list_jobs(engine)
    assert len(row["last_error"]) == queue.MAX_ERROR_LENGTH


def test_max_attempts_must_allow_one_attempt(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="at least 1"), engine.begin() as conn:
        queue.enqueue(conn, "work", {}, now=NOW, max_attempts=0)


def test_concurrent_claims_never_share_a_job(engine: sa.Engine) -> None:
    """50 jobs, 4 threads claiming as fast as they can: each job is claimed exactly once."""
    for n in range(50):
        add(engine, n=n)
    claimed: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(4)

    def claim_all(worker: str) -> None:
        start.wait()
        while (job := queue.claim(engine, worker, now=NOW)) is not None:
            with lock:
                claimed[int(job.payload["n"])] += 1
            queue.complete(engine, job.id, worker, now=NOW)

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert claimed == Counter(range(50))
    assert set(states(engine)) == {"done"}
