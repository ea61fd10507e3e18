"""A worker killed with SIGKILL in the middle of a propagation, on both databases: after a
restart its job runs again at once (not when its 5-minute lease runs out), and whatever order
the versions then propagate in, the read model ends holding the current version.

This is the attack of issue 10: commit v2 (every Last_name changed), kill the worker during
its propagation, commit v3, restart: v3 propagates, then v2's job re-runs — it must not put
v2's names back while every version says "Successfully in production".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.csvio.sources import SourceFile
from rosterport.domain.version_status import IN_PRODUCTION, PENDING
from rosterport.services import upload_commit, upload_validation, uploads
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org
from rosterport.store import jobs as queue
from rosterport.store.tables import versions
from tests.conftest import district
from tests.roster_rows import active_count, active_object, generations

STUDENTS = 20_000


def machine_clock() -> datetime:
    """The machine's clock: the workers run in other processes on it, and the versions and
    jobs the test makes must be stamped by the same clock (even under
    ROSTERPORT_TEST_DAYS_AHEAD, which moves only this process's product clock)."""
    return datetime.now(UTC)


def big_district(last_name: str, students: int = STUDENTS) -> dict[str, bytes]:
    """The valid fixture district with `students` students, each enrolled in one section."""
    files = district()
    header, template = files["students.csv"].decode().splitlines()[:2]
    cells = template.split(",")
    rows = [header]
    for n in range(students):
        student = str(500_000_000 + n)
        rows.append(",".join([cells[0], student, student, cells[3], last_name, *cells[5:]]))
    files["students.csv"] = ("\n".join(rows) + "\n").encode()
    enrollments = ["School_id,Student_id,Section_id"]
    enrollments += [f"{cells[0]},{500_000_000 + n},642" for n in range(students)]
    files["enrollments.csv"] = ("\n".join(enrollments) + "\n").encode()
    return files


def commit(hub: Hub, org: Organization, files: dict[str, bytes]) -> int:
    session = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, session.id, [SourceFile.of(n, d) for n, d in files.items()])
    upload_validation.run_validation(hub, org, session.id, committed_by="it@x.org", source="api")
    version, status, _ = upload_commit.commit(
        hub, org, session.id, committed_by="it@x.org", source="api", allow_deletions=True
    )
    assert status == PENDING
    return version


def worker(data_dir: Path, db_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ROSTERPORT_DATA_DIR": str(data_dir), "ROSTERPORT_DATABASE_URL": db_url}
    return subprocess.Popen(
        [sys.executable, "-m", "rosterport", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]  # a callable
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def statuses(hub: Hub) -> list[str]:
    with hub.engine.connect() as conn:
        return list(conn.execute(sa.select(versions.c.status).order_by(versions.c.id)).scalars())


def job_running(hub: Hub, version_id: int) -> bool:
    return any(
        j["state"] == "running" and j["payload"] == {"version_id": version_id}
        for j in queue.list_jobs(hub.engine)
    )


def propagation_jobs(hub: Hub, state: str) -> list[dict[str, object]]:
    """(The directory's password-hashing jobs that follow a version are not waited for.)"""
    return [j for j in queue.list_jobs(hub.engine, state=state) if j["kind"] == v.PROPAGATE]


def test_sigkill_mid_propagation_then_restart(tmp_path: Path, db_url: str) -> None:
    data_dir = tmp_path / "data"
    hub = build_hub(Settings(data_dir=data_dir, database_url=db_url), clock=machine_clock)
    org = create_org(hub, "crashy", "Crashy USD")
    commit(hub, org, big_district("First"))
    first_worker = worker(data_dir, db_url)
    try:
        wait_for(lambda: statuses(hub) == [IN_PRODUCTION], 120, "the first load")
        second = commit(hub, org, big_district("Second"))
        wait_for(lambda: job_running(hub, second), 60, "the second version's job")
        first_worker.send_signal(signal.SIGKILL)  # mid-propagation
        first_worker.wait(timeout=30)
        assert job_running(hub, second)  # killed mid-job: the job is left running, leased
    finally:
        if first_worker.poll() is None:
            first_worker.kill()
    third = commit(hub, org, big_district("Third"))
    started = time.monotonic()
    restarted = worker(data_dir, db_url)
    try:
        wait_for(
            lambda: (
                statuses(hub) == [IN_PRODUCTION] * 3
                and not propagation_jobs(hub, "running")
                and not propagation_jobs(hub, "queued")
            ),
            120,
            "every version in production",
        )
        waited = time.monotonic() - started
    finally:
        restarted.send_signal(signal.SIGTERM)
        _, stderr = restarted.communicate(timeout=30)
    assert waited < queue.DEFAULT_LEASE.total_seconds() / 2  # not the lease: freed at start
    assert b"Traceback" not in stderr
    assert b"of a stopped worker run again now" in stderr  # freed at start, logged
    with hub.engine.connect() as conn:
        dataset_id = conn.execute(sa.text("SELECT id FROM datasets")).scalar_one()
        student = active_object(conn, dataset_id, "users", str(500_000_007))
        assert student is not None
        assert student["familyName"] == "Third"
        assert active_count(conn, dataset_id, "users", role="student") == STUDENTS
        held = conn.execute(sa.text("SELECT version_id FROM read_models")).scalar_one()
        assert held == third
        assert len(generations(conn)) == 1
    hub.engine.dispose()


def test_other_writers_are_not_kept_waiting_by_a_first_load(tmp_path: Path, db_url: str) -> None:
    """The SQLite attack of issue 10: a settings save waited 30 s (then failed) while a first
    load held the write lock. The load is now written in chunks, each a short transaction:
    small writes made meanwhile each finish within a few seconds."""
    import threading

    from rosterport.services.organizations import update_settings

    data_dir = tmp_path / "data"
    hub = build_hub(Settings(data_dir=data_dir, database_url=db_url), clock=machine_clock)
    org = create_org(hub, "busy", "Busy USD")
    commit(hub, org, big_district("Load", students=120_000))
    loader = worker(data_dir, db_url)
    waits: list[float] = []
    done = threading.Event()

    def write_meanwhile() -> None:
        while not done.is_set():
            started = time.monotonic()
            update_settings(hub, org, org.settings)
            waits.append(time.monotonic() - started)
            time.sleep(0.05)

    writer = threading.Thread(target=write_meanwhile)
    try:
        wait_for(lambda: bool(queue.list_jobs(hub.engine, state="running")), 60, "the load")
        writer.start()
        loading = time.monotonic()
        wait_for(lambda: statuses(hub) == [IN_PRODUCTION], 180, "the load to finish")
        loading = time.monotonic() - loading
    finally:
        done.set()
        loader.send_signal(signal.SIGTERM)
        loader.communicate(timeout=30)
    writer.join(timeout=30)
    assert waits, "no write was made during the load"
    # one transaction for the whole load would have kept a write waiting for all of it
    longest = f"a write waited {max(waits):.1f} s of the load's {loading:.1f} s"
    # a chunk's transaction is short: 2 s on a quiet machine; a loaded one (CI beside other
    # jobs) stretches every chunk with the whole load, so the bound grows with it (at 24 s of
    # load, 3.6 s: still a sixth of what one transaction for the whole load would hold)
    assert max(waits) < max(2.0, loading * 0.15), longest
    assert max(waits) < loading * 0.75, longest
    hub.engine.dispose()
