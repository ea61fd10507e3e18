"""Hosted drops and pulls as jobs, on both databases: a ready drop is handed over once
however many servers look at the folder, any worker processes it, the receiving server writes
the result back; a process killed (SIGKILL) in the middle of a hand-over loses nothing; a due
pull is queued once however many schedulers see it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from rosterport import blob_keys as keys
from rosterport.bootstrap import build_hub, build_worker
from rosterport.config import Settings
from rosterport.domain.version_status import IN_PRODUCTION
from rosterport.remote import Credentials
from rosterport.services import hosted_accounts, sftp_drops, sftp_pulls
from rosterport.services import integrations as ints
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org
from rosterport.sftp import drops
from rosterport.store import jobs as queue
from rosterport.store.tables import jobs, versions
from tests.conftest import Clock, district

LOGIN = "springfield-sis"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url)


@pytest.fixture
def hub(settings: Settings) -> Hub:
    return build_hub(settings, clock=Clock())


@pytest.fixture
def org(hub: Hub) -> Organization:
    return create_org(hub, "springfield", "Springfield USD")


def dropped(hub: Hub, org: Organization, data_dir: Path) -> tuple[ints.Integration, list[Path]]:
    """A hosted account whose folder holds the fixture district, as an integrator put it."""
    integration = hosted_accounts.add_hosted_account(
        hub, org, login=LOGIN, password="nightly-export-1"
    )
    folder = drops.make_account_folder(data_dir, LOGIN)
    for name, data in district().items():
        (folder / name).write_bytes(data)
    return integration, sorted(folder.glob("*.csv"))


def committed(hub: Hub) -> list[str]:
    with hub.engine.connect() as conn:
        return list(conn.execute(sa.select(versions.c.status).order_by(versions.c.id)).scalars())


def job_count(hub: Hub, kind: str) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).where(jobs.c.kind == kind)).scalar_one())


def answers(hub: Hub, data_dir: Path) -> list[Path]:
    """The result JSONs `write_answers` wrote (an error report may come beside them)."""
    return [p for p in drops.write_answers(hub, data_dir) if p.suffix == ".json"]


def blob_keys_under(hub: Hub, prefix: str) -> list[str]:
    return list(hub.blobs.keys(prefix))


def test_a_ready_drop_is_handed_over_once_and_answered_by_the_receiving_server(
    hub: Hub, org: Organization, settings: Settings
) -> None:
    integration, paths = dropped(hub, org, settings.data_dir)
    taken: list[str | None] = []
    start = threading.Barrier(2)

    def server() -> None:  # two servers sharing the folder see the same ready drop
        start.wait()
        taken.append(drops.hand_over_drop(hub, integration, settings.data_dir, paths))

    threads = [threading.Thread(target=server) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [drop] = [t for t in taken if t is not None]
    assert taken.count(None) == 1
    folder = drops.account_folder(settings.data_dir, LOGIN)
    assert not list(folder.glob("*.csv"))  # out of the jail: the client cannot change them
    assert len(blob_keys_under(hub, keys.drop_files(drop))) == len(paths)
    assert job_count(hub, sftp_drops.DROP) == 1
    assert committed(hub) == []  # the server only received: processing is a worker's

    assert build_worker(hub, name="worker").drain() >= 1
    assert committed(hub) == [IN_PRODUCTION]
    assert blob_keys_under(hub, keys.drop_files(drop)) == []  # no raw copy left behind
    assert sftp_drops.drop_states(hub, integration.id) == {"processed": 1}

    [written] = answers(hub, settings.data_dir)
    result = json.loads(written.read_text())
    assert result["status"] == IN_PRODUCTION
    assert result["changes"]["students.csv"]["added"] == 5
    assert blob_keys_under(hub, keys.drop_results(drop)) == []
    assert drops.write_answers(hub, settings.data_dir) == []  # once

    job = queue.Job(0, sftp_drops.DROP, {"drop": drop}, 2, 10)
    assert sftp_drops.process(hub, job) is None  # a job that runs again does nothing
    assert committed(hub) == [IN_PRODUCTION]


def test_the_results_go_to_the_server_holding_the_folder_the_drop_came_from(
    hub: Hub, org: Organization, settings: Settings, tmp_path: Path
) -> None:
    integration, paths = dropped(hub, org, settings.data_dir)
    drop = drops.hand_over_drop(hub, integration, settings.data_dir, paths)
    assert drop is not None
    build_worker(hub, name="worker").drain()
    other = tmp_path / "other-server"
    other.mkdir()
    assert drops.folder_id(other) != drops.folder_id(settings.data_dir)
    assert drops.write_answers(hub, other) == []  # another server's folders: not its result
    assert len(answers(hub, settings.data_dir)) == 1


def test_a_zip_that_is_not_one_is_refused_with_a_result(
    hub: Hub, org: Organization, settings: Settings
) -> None:
    integration = hosted_accounts.add_hosted_account(
        hub, org, login=LOGIN, password="nightly-export-1"
    )
    folder = drops.make_account_folder(settings.data_dir, LOGIN)
    (folder / "roster.zip").write_bytes(b"this is no zip file")
    assert drops.hand_over_drop(hub, integration, settings.data_dir, [folder / "roster.zip"])
    build_worker(hub, name="worker").drain()
    [written] = answers(hub, settings.data_dir)
    result = json.loads(written.read_text())
    assert result["status"] == "Refused"
    assert any("zip" in note.lower() for note in result["notes"]), result
    assert committed(hub) == []


HAND_OVER = """
import sys
from pathlib import Path
from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.services import integrations as ints
from rosterport.sftp import drops

data_dir, url, integration_id = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
hub = build_hub(Settings(data_dir=data_dir, database_url=url))
integration = ints.integration_by_id(hub, integration_id)
folder = drops.account_folder(data_dir, integration.login)
drops.hand_over_drop(hub, integration, data_dir, sorted(folder.glob("*.csv")))
"""


@pytest.mark.parametrize("point", [drops.CRASH_MOVED, drops.CRASH_STORED])
def test_a_server_killed_in_the_middle_of_a_hand_over_loses_nothing(
    hub: Hub, org: Organization, settings: Settings, point: str
) -> None:
    integration, paths = dropped(hub, org, settings.data_dir)
    sent = {p.name: p.read_bytes() for p in paths}
    env = {**os.environ, "ROSTERPORT_TEST_CRASH_AT": point}
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            HAND_OVER,
            str(settings.data_dir),
            str(settings.database_url),
            str(integration.id),
        ],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr.decode()
    folder = drops.account_folder(settings.data_dir, LOGIN)
    assert not list(folder.glob("*.csv"))  # the files were outside the jail when it died

    [drop] = drops.recover_handovers(hub, settings.data_dir, now=hub.clock())
    assert not (settings.data_dir / drops.HANDOVER / LOGIN / drop).exists()
    if point == drops.CRASH_MOVED:  # not stored yet: the files are back, as they were sent
        assert {p.name: p.read_bytes() for p in folder.glob("*.csv")} == sent
        assert blob_keys_under(hub, keys.drop_files(drop)) == []
        assert job_count(hub, sftp_drops.DROP) == 0
        drop = drops.hand_over_drop(hub, integration, settings.data_dir, paths) or ""
    else:  # stored whole with its job: the worker has them
        assert not list(folder.glob("*.csv"))
        assert job_count(hub, sftp_drops.DROP) == 1
        with hub.engine.connect() as conn:  # queued on the machine's clock, in the other process
            run_at = conn.execute(sa.select(jobs.c.run_at)).scalar_one()
        assert isinstance(hub.clock, Clock)
        hub.clock.now = max(hub.clock.now, run_at)
    build_worker(hub, name="worker").drain()
    assert committed(hub) == [IN_PRODUCTION]
    assert len(answers(hub, settings.data_dir)) == 1


def test_a_live_hand_over_is_not_taken_for_an_abandoned_one(
    hub: Hub, org: Organization, settings: Settings
) -> None:
    integration, paths = dropped(hub, org, settings.data_dir)
    staging = settings.data_dir / drops.HANDOVER / LOGIN / ("0" * 32)
    staging.mkdir(parents=True)
    (staging / drops.OWNER).write_text(queue.worker_name())  # this process: alive
    paths[0].rename(staging / paths[0].name)
    assert drops.recover_handovers(hub, settings.data_dir, now=hub.clock()) == []
    assert (staging / paths[0].name).exists()
    del integration


def add_pull(hub: Hub, org: Organization) -> ints.Integration:
    return ints.add_pull(
        hub,
        org,
        name="district server",
        host="127.0.0.1",
        port=2222,
        username="export",
        credentials=Credentials(password="secret"),
        settings=ints.IntegrationSettings.from_json({"path": "export", "interval_minutes": 60}),
    )


def test_a_due_pull_is_queued_once_by_any_number_of_schedulers(hub: Hub, org: Organization) -> None:
    add_pull(hub, org)
    queued: list[list[int]] = []
    start = threading.Barrier(3)

    def scheduler() -> None:
        start.wait()
        queued.append(sftp_pulls.schedule_due(hub, quiet_seconds=60))

    threads = [threading.Thread(target=scheduler) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(q) for q in queued) == [0, 0, 1]
    assert job_count(hub, sftp_pulls.PULL_JOB) == 1
    assert sftp_pulls.schedule_due(hub, quiet_seconds=60) == []  # not due, and still queued


def test_a_pull_still_queued_gets_no_second_job_when_due_again(hub: Hub, org: Organization) -> None:
    integration = add_pull(hub, org)
    assert sftp_pulls.schedule_due(hub, quiet_seconds=60) == [integration.id]
    clock = hub.clock
    assert isinstance(clock, Clock)
    clock.now += timedelta(hours=2)  # due again, but the first job has not run
    assert sftp_pulls.schedule_due(hub, quiet_seconds=60) == []
    assert job_count(hub, sftp_pulls.PULL_JOB) == 1
