"""Propagation on both databases: versions reach the read model in commit order whatever
order their jobs run in, one job per dataset at a time, and large loads in chunks behind a
swap (a crash mid-load leaves the visible rows as they were)."""

from __future__ import annotations

from functools import partial

import pytest
import sqlalchemy as sa

from rosterport.csvio.sources import SourceFile
from rosterport.domain.version_status import IN_PRODUCTION, PENDING
from rosterport.jobs.worker import Worker
from rosterport.services import propagation, roster_store, upload_commit, upload_validation, uploads
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import jobs as queue
from rosterport.store.jobs import Job
from rosterport.store.roster import loading
from rosterport.store.tables import datasets, versions
from tests.conftest import Clock, district
from tests.roster_rows import active_count, active_object
from tests.roster_rows import generations as store_generations

Files = dict[str, bytes]


def commit(hub: Hub, org: Organization, files: Files) -> int:
    """Validate and commit `files` (their propagation job stays queued)."""
    session = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, session.id, [SourceFile.of(n, d) for n, d in files.items()])
    upload_validation.run_validation(hub, org, session.id, committed_by="a@x.org", source="api")
    version, status, _ = upload_commit.commit(
        hub, org, session.id, committed_by="a@x.org", source="api"
    )
    assert status == PENDING
    return version


def renamed(last_name: bytes) -> Files:
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"Schmeler", last_name)
    return files


def claimed(hub: Hub, version_id: int) -> Job:
    """Claim the propagation job of `version_id` (others stay queued)."""
    (row,) = [j for j in queue.list_jobs(hub.engine) if j["payload"] == {"version_id": version_id}]
    with hub.engine.begin() as conn:  # the other jobs wait: only this one is due
        conn.execute(sa.text("UPDATE jobs SET run_at = :t"), {"t": hub.clock().replace(year=2100)})
        conn.execute(
            sa.text("UPDATE jobs SET run_at = :t WHERE id = :id"),
            {"t": hub.clock(), "id": row["id"]},
        )
    job = queue.claim(hub.engine, f"test-{version_id}", now=hub.clock())
    assert job is not None
    assert job.id == row["id"]
    return job


def status(hub: Hub, version_id: int) -> str:
    with hub.engine.connect() as conn:
        return str(
            conn.execute(sa.select(versions.c.status).where(versions.c.id == version_id)).scalar()
        )


def last_name(hub: Hub) -> str:
    with hub.engine.connect() as conn:
        dataset_id = conn.execute(sa.select(datasets.c.id)).scalar_one()
        user = active_object(conn, dataset_id, "users", "738733110")
    assert user is not None
    return str(user["familyName"])


def generations(hub: Hub) -> set[int]:
    with hub.engine.connect() as conn:
        return store_generations(conn)


def test_an_older_versions_job_run_late_never_overwrites_a_newer_state(
    hub: Hub, org: Organization
) -> None:
    """The attack of issue 10: v11's job, re-run after v12 propagated (a crashed worker's
    lease expiring), must not put v11's names back."""
    first = commit(hub, org, district())
    propagation.propagate(hub, claimed(hub, first))
    older = commit(hub, org, renamed(b"Older"))
    newer = commit(hub, org, renamed(b"Newer"))
    propagation.propagate(hub, claimed(hub, newer))  # the newer job runs first
    assert last_name(hub) == "Newer"
    propagation.propagate(hub, claimed(hub, older))  # then the stale one
    assert last_name(hub) == "Newer"
    assert [status(hub, x) for x in (first, older, newer)] == [IN_PRODUCTION] * 3


def test_a_job_brings_the_read_model_to_the_current_version(hub: Hub, org: Organization) -> None:
    """The older job, run first, already applies production (the newer version): the newer
    job then has nothing left to do."""
    commit(hub, org, district())
    older = commit(hub, org, renamed(b"Older"))
    newer = commit(hub, org, renamed(b"Newer"))
    propagation.propagate(hub, claimed(hub, older))
    assert last_name(hub) == "Newer"
    assert status(hub, newer) == IN_PRODUCTION  # it is what the read model holds
    propagation.propagate(hub, claimed(hub, newer))
    assert last_name(hub) == "Newer"


def test_a_second_job_for_the_dataset_is_deferred_not_failed(
    hub: Hub, org: Organization, clock: Clock
) -> None:
    from rosterport.store import read_models

    first = commit(hub, org, district())
    holder = claimed(hub, first)  # running, with a live lease
    with hub.engine.begin() as conn:
        assert read_models.take(conn, 1, holder.id, clock())
    second = commit(hub, org, renamed(b"Second"))
    with hub.engine.begin() as conn:  # only the second version's job is due
        conn.execute(sa.text("UPDATE jobs SET run_at = :t WHERE state = 'queued'"), {"t": clock()})
    worker = Worker(
        hub.engine, {v.PROPAGATE: partial(propagation.propagate, hub)}, clock=clock, name="w"
    )
    assert worker.run_once()
    (waiting,) = queue.list_jobs(hub.engine, state="queued")
    assert (waiting["attempts"], waiting["last_error"]) == (0, None)  # not counted
    assert waiting["run_at"] > clock()
    assert status(hub, second) == PENDING
    # once the holder's lease has run out (it died), the dataset is free again
    clock.now += queue.DEFAULT_LEASE * 2
    assert worker.drain() == 2  # the dead holder's job, run again, and the second
    assert last_name(hub) == "Second"
    assert [status(hub, x) for x in (first, second)] == [IN_PRODUCTION] * 2


def test_a_crash_mid_load_leaves_the_visible_rows_and_the_next_load_cleans_up(
    hub: Hub, org: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = commit(hub, org, district())
    propagation.propagate(hub, claimed(hub, first))
    with hub.engine.connect() as conn:
        before = active_count(conn, 1, "enrollments")
    monkeypatch.setattr(propagation, "INCREMENTAL_LIMIT", 0)  # every change: a new generation
    monkeypatch.setattr(roster_store, "CHUNK", 2)
    real_insert = loading.write_objects
    calls = []

    def crash_on_third_chunk(*args: object, **kwargs: object) -> int:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed mid-load")
        return real_insert(*args, **kwargs)  # type: ignore[arg-type]  # passed through

    monkeypatch.setattr(loading, "write_objects", crash_on_third_chunk)
    second = commit(hub, org, renamed(b"Reloaded"))
    with pytest.raises(RuntimeError):
        propagation.propagate(hub, claimed(hub, second))
    assert last_name(hub) == "Schmeler"  # readers still see the first version, whole
    with hub.engine.connect() as conn:
        assert active_count(conn, 1, "enrollments") == before
    assert len(generations(hub)) == 2  # the half-written generation is there, unseen
    monkeypatch.setattr(loading, "write_objects", real_insert)
    with hub.engine.begin() as conn:
        conn.execute(sa.text("UPDATE jobs SET state = 'failed', locked_by = NULL"))
    propagation.propagate(hub, Job(999, v.PROPAGATE, {"version_id": second}, 1, 5))
    assert last_name(hub) == "Reloaded"
    assert len(generations(hub)) == 1
    with hub.engine.connect() as conn:
        assert active_count(conn, 1, "enrollments") == before
    assert status(hub, second) == IN_PRODUCTION


def test_a_large_change_is_swapped_in_as_one_generation(
    hub: Hub, org: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = commit(hub, org, district())
    propagation.propagate(hub, claimed(hub, first))
    (old,) = generations(hub)
    monkeypatch.setattr(propagation, "INCREMENTAL_LIMIT", 0)
    monkeypatch.setattr(roster_store, "CHUNK", 2)
    second = commit(hub, org, renamed(b"Large"))
    propagation.propagate(hub, claimed(hub, second))
    assert last_name(hub) == "Large"
    assert generations(hub) == {old + 1}
