"""The scale-out layout of docs/operations.md, for real: two `rosterport serve` processes (web,
API and hosted SFTP, no embedded worker) and two `rosterport worker` processes on one
PostgreSQL database and one S3 bucket (moto's server on loopback), each process with its own
data dir.

1. An SFTP drop on server A is handed over as a job; worker 1 claims it and is killed with
   SIGKILL in the middle of its commit; worker 2 (paused meanwhile, so it cannot take the job
   first) notices its sibling died, reclaims the job and finishes it.
2. Then, all at once: API uploads for four organizations, two through each server, and SFTP
   drops on both servers.

Every upload and drop is processed exactly once and every version committed once, all reach
production, each drop's result lands in the account folder of the server that received it,
and nothing is written under any data dir's blob folder.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import sqlalchemy as sa

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.domain.version_status import IN_PRODUCTION
from rosterport.services import accounts, hosted_accounts
from rosterport.services.organizations import create_org
from rosterport.sftp.drops import account_folder
from rosterport.store.tables import jobs, organizations, sftp_drops, upload_sessions, versions
from tests.conftest import _postgres_database, district, free_port
from tests.s3server import S3
from tests.sftp.conftest import needs_openssh, sftp
from tests.web.conftest import Server, served

pytestmark = needs_openssh

T = TypeVar("T")
PASSWORD = "nightly-export-1"
SECRET_KEY = base64.b64encode(b"k" * 32).decode()
API_ORGS = ("north", "south", "east", "west")
DROP_ORGS = {"drops-a": "drops-a-sis", "drops-b": "drops-b-sis"}  # org: hosted login


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _postgres_database(request)


def wait_for(check: Callable[[], T], what: str, timeout: float = 120) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def shared(pg_url: str, s3: S3) -> dict[str, str]:
    """The settings every process shares: the database, the bucket, the instance key."""
    return {
        "ROSTERPORT_DATABASE_URL": pg_url,
        "ROSTERPORT_BLOB_URL": s3.url(),
        "ROSTERPORT_S3_ENDPOINT": s3.endpoint,
        "ROSTERPORT_SECRET_KEY": SECRET_KEY,
    }


def prepare(data_dir: Path, pg_url: str, s3: S3) -> dict[str, dict[str, str]]:
    """Migrations first (`rosterport db upgrade`), then the organizations, an API token of
    each API organization, and a hosted account of each drop organization."""
    env = {**os.environ, **shared(pg_url, s3), "ROSTERPORT_DATA_DIR": str(data_dir)}
    subprocess.run(
        [sys.executable, "-m", "rosterport", "db", "upgrade"], env=env, check=True, timeout=120
    )
    settings = Settings(
        data_dir=data_dir,
        database_url=pg_url,
        blob_url=s3.url(),
        s3_endpoint=s3.endpoint,
        secret_key=SECRET_KEY,
    )
    hub = build_hub(settings, migrate=False)
    headers = {}
    try:
        for slug in API_ORGS:
            org = create_org(hub, slug, f"{slug.title()} USD")
            admin = accounts.create_account(hub, f"admin@{slug}.example", "Passw0rd!x", org=org)
            headers[slug] = {
                "Authorization": f"Bearer {accounts.create_token(hub, org, admin, 't')}"
            }
        for slug, login in DROP_ORGS.items():
            org = create_org(hub, slug, f"{slug.title()} USD")
            hosted_accounts.add_hosted_account(hub, org, login=login, password=PASSWORD)
    finally:
        hub.engine.dispose()
    return headers


class Process:
    """A `rosterport worker` subprocess; what it prints is kept (a full pipe would block it)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rosterport", "worker"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        reader = self.process.stdout
        assert reader is not None
        threading.Thread(target=lambda: self.output.extend(reader), daemon=True).start()
        wait_for(lambda: any("worker running" in line for line in self.output), "a worker")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def worker_env(data_dir: Path, pg_url: str, s3: S3, **more: str) -> dict[str, str]:
    env = {k: val for k, val in os.environ.items() if not k.startswith("ROSTERPORT_")}
    return {**env, **shared(pg_url, s3), "ROSTERPORT_DATA_DIR": str(data_dir), **more}


def upload(server: Server, slug: str, headers: dict[str, str], files: dict[str, bytes]) -> int:
    """Start, add, validate and commit an upload through the API; the version."""
    base = f"{server.url}/api/v1/orgs/{slug}/uploads"
    with httpx.Client(headers=headers, timeout=120) as client:
        session = client.post(base, json={"model": "passport-roster"}).json()["id"]
        for name, data in files.items():
            assert client.put(f"{base}/{session}/files/{name}", content=data).status_code == 200
        validated = client.post(f"{base}/{session}/validate").json()
        assert validated["report"]["valid"], validated
        committed = client.post(f"{base}/{session}/commit", json={"allow_deletions": False})
        assert committed.status_code == 200, committed.text
        return int(committed.json()["version"])


def drop(server_port: int, login: str, files: dict[str, bytes], workdir: Path) -> None:
    workdir.mkdir(parents=True)
    for name, data in files.items():
        (workdir / name).write_bytes(data)
    done = sftp(server_port, login, ["put *.csv"], workdir=workdir, password=PASSWORD)
    assert done.returncode == 0, done.stderr


def renamed(files: dict[str, bytes], last_name: str) -> dict[str, bytes]:
    """The district with every student's Last_name changed: a different version."""
    lines = files["students.csv"].decode().splitlines()
    header = lines[0].split(",")
    column = header.index("Last_name")
    rows = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        cells[column] = last_name
        rows.append(",".join(cells))
    return {**files, "students.csv": ("\n".join(rows) + "\n").encode()}


def versions_by_org(engine: sa.Engine) -> dict[str, list[tuple[str, str]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.slug, versions.c.source, versions.c.status)
            .join(organizations, organizations.c.id == versions.c.org_id)
            .order_by(versions.c.id)
        ).all()
    found: dict[str, list[tuple[str, str]]] = {}
    for slug, source, status in rows:
        found.setdefault(str(slug), []).append((str(source), str(status)))
    return found


def all_in_production(engine: sa.Engine, expected: dict[str, int]) -> bool:
    found = versions_by_org(engine)
    return all(
        len(found.get(slug, [])) == count
        and all(status == IN_PRODUCTION for _, status in found[slug])
        for slug, count in expected.items()
    )


def results_in(data_dir: Path, login: str) -> list[Path]:
    return sorted((account_folder(data_dir, login) / "results").glob("*.json"))


def test_two_servers_and_two_workers_process_everything_exactly_once(
    tmp_path: Path, pg_url: str, s3: S3
) -> None:
    headers = prepare(tmp_path / "setup", pg_url, s3)
    engine = sa.create_engine(pg_url)
    sftp_ports = {"a": free_port(), "b": free_port()}
    settings = {
        **shared(pg_url, s3),
        "ROSTERPORT_EMBEDDED_WORKER": "0",
        "ROSTERPORT_SFTP_POLL_SECONDS": "1",
        "ROSTERPORT_SFTP_QUIET_SECONDS": "1",
    }
    workers: list[Process] = []
    try:
        with (
            served(tmp_path / "a", **settings, ROSTERPORT_SFTP_PORT=str(sftp_ports["a"])) as a,
            served(tmp_path / "b", **settings, ROSTERPORT_SFTP_PORT=str(sftp_ports["b"])) as b,
        ):
            doomed = Process(
                worker_env(
                    tmp_path / "w1", pg_url, s3, ROSTERPORT_TEST_CRASH_AT="after-version-insert"
                )
            )
            survivor = Process(worker_env(tmp_path / "w2", pg_url, s3))
            workers += [doomed, survivor]
            survivor.process.send_signal(signal.SIGSTOP)  # the doomed worker takes the drop

            # 1. a drop on server A; worker 1 dies in the middle of committing it
            drop(sftp_ports["a"], DROP_ORGS["drops-a"], district(), tmp_path / "drop-1")
            assert doomed.process.wait(timeout=120) == -signal.SIGKILL
            assert versions_by_org(engine) == {}  # its transaction died with it
            survivor.process.send_signal(signal.SIGCONT)
            wait_for(lambda: all_in_production(engine, {"drops-a": 1}), "the reclaimed drop")

            # 2. everything at once: four API uploads through both servers, drops on both
            tasks: list[Callable[[], Any]] = []
            for n, slug in enumerate(API_ORGS):
                server = (a, b)[n % 2]
                tasks.append(
                    lambda server=server, slug=slug: upload(server, slug, headers[slug], district())
                )
            tasks.append(
                lambda: drop(
                    sftp_ports["a"],
                    DROP_ORGS["drops-a"],
                    renamed(district(), "Second"),
                    tmp_path / "drop-2",
                )
            )
            tasks.append(
                lambda: drop(sftp_ports["b"], DROP_ORGS["drops-b"], district(), tmp_path / "drop-3")
            )
            failures = run_together(tasks)
            assert not failures, failures
            expected = dict.fromkeys(API_ORGS, 1) | {"drops-a": 2, "drops-b": 1}
            wait_for(lambda: all_in_production(engine, expected), "every version in production")
            wait_for(
                lambda: (
                    len(results_in(tmp_path / "a", DROP_ORGS["drops-a"])) == 2
                    and len(results_in(tmp_path / "b", DROP_ORGS["drops-b"])) == 1
                ),
                "the results in the receiving servers' account folders",
            )
    finally:
        for worker in workers:
            worker.stop()

    found = versions_by_org(engine)
    assert {slug: [s for s, _ in rows] for slug, rows in found.items()} == {
        **{slug: ["api"] for slug in API_ORGS},
        "drops-a": ["sftp", "sftp"],
        "drops-b": ["sftp"],
    }
    # the results went to the server that received each drop, and only there
    assert results_in(tmp_path / "b", DROP_ORGS["drops-a"]) == []
    assert results_in(tmp_path / "a", DROP_ORGS["drops-b"]) == []
    with engine.connect() as conn:
        drops = conn.execute(sa.select(sftp_drops.c.state, sftp_drops.c.delivered_at)).all()
        assert len(drops) == 3
        assert all(state == "processed" and at is not None for state, at in drops)
        sessions = conn.execute(
            sa.select(upload_sessions.c.state)
            .join(organizations, organizations.c.id == upload_sessions.c.org_id)
            .where(organizations.c.slug.in_(API_ORGS))
        ).scalars()
        assert sorted(sessions) == ["committed"] * 4  # each API upload committed, once
        left = conn.execute(
            sa.select(jobs.c.kind, jobs.c.state, jobs.c.attempts).where(jobs.c.state != "done")
        ).all()
        assert left == []
        reclaimed = (
            conn.execute(
                sa.select(jobs.c.attempts).where(jobs.c.kind == "sftp-drop").order_by(jobs.c.id)
            )
            .scalars()
            .all()
        )
        assert reclaimed[0] == 2  # claimed by the killed worker, then by its sibling
    engine.dispose()
    for data_dir in ("a", "b", "w1", "w2", "setup"):
        assert not (tmp_path / data_dir / "blobs").exists()  # everything is in the bucket
    assert s3.objects("rosterport/drops/") == []  # no delivery left behind in storage
    assert "Traceback" not in "".join(survivor.output)


def run_together(tasks: list[Callable[[], Any]]) -> list[str]:
    """Run every task in its own thread at the same moment; the failures, described."""
    failures: list[str] = []
    start = threading.Barrier(len(tasks))

    def run(task: Callable[[], Any]) -> None:
        start.wait()
        try:
            task()
        except Exception as error:  # collected and asserted by the test
            failures.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return failures
