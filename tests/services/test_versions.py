"""Upload sessions, previews, commits, safeguards, history, restore and compare — on SQLite
and PostgreSQL (the `engine` fixture runs each test on both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
import pytest
import sqlalchemy as sa

from rosterport.bootstrap import build_worker
from rosterport.csvio.sources import SourceFile
from rosterport.domain.issue_type import Level
from rosterport.domain.policy import Mode
from rosterport.domain.preview import Preview
from rosterport.domain.report import Report
from rosterport.domain.schemas import get_model
from rosterport.domain.version_status import (
    DISCARDED,
    HELD,
    IN_PRODUCTION,
    PENDING,
    PROPAGATION_FAILED,
    VALIDATION_ERRORS,
)
from rosterport.errors import ProductionChangedError, StateError
from rosterport.services import history, upload_commit, upload_validation, uploads
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, get_org
from rosterport.services.snapshot_states import production_states
from rosterport.store.tables import datasets
from tests.conftest import Clock, district
from tests.roster_rows import active_count, active_object

Files = dict[str, bytes]


@dataclass
class Done:
    version: int | None
    status: str
    report: Report
    counts: dict[str, dict[str, int]]
    preview: Preview | None


def upload(
    hub: Hub,
    org: Organization,
    files: Files,
    *,
    model: str = "passport-roster",
    mode: Mode | None = None,
    allow_deletions: bool = False,
    levels: dict[str, Level] | None = None,
) -> Done:
    session = uploads.start(hub, org, model, mode=mode)
    uploads.add_files(hub, org, session.id, [SourceFile.of(n, d) for n, d in files.items()])
    session, report = upload_validation.run_validation(
        hub, org, session.id, levels=levels, committed_by="tester@example.org", source="api"
    )
    if not report.valid:
        return Done(session.data["version"], VALIDATION_ERRORS, report, {}, None)
    result = upload_commit.changes(hub, org, session.id)  # Verify Changes, then commit
    version, _, _ = upload_commit.commit(
        hub,
        org,
        session.id,
        committed_by="tester@example.org",
        source="api",
        allow_deletions=allow_deletions,
    )
    build_worker(hub).drain()
    return Done(version, _status(hub, version), report, result.counts(), result)


def _status(hub: Hub, version: int) -> str:
    org = get_org(hub, "springfield")
    return next(r.status for r in history.history(hub, org) if r.version == version)


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def students_without(files: Files, student_id: str) -> Files:
    """The district less one student and the student's enrollments."""
    out = dict(files)
    for name in ("students.csv", "enrollments.csv"):
        lines = out[name].decode().splitlines()
        out[name] = ("\n".join(line for line in lines if student_id not in line) + "\n").encode()
    return out


def current_version(hub: Hub, org: Organization) -> int | None:
    with hub.engine.connect() as conn:
        return conn.execute(
            sa.select(datasets.c.current_version_id).where(datasets.c.org_id == org.id)
        ).scalar()


def test_first_upload_goes_to_production_and_the_read_model(hub: Hub, org: Organization) -> None:
    done = upload(hub, org, district())
    assert done.status == IN_PRODUCTION
    assert done.counts["students.csv"] == {"added": 5, "updated": 0, "removed": 0}
    assert done.counts["enrollments.csv"]["added"] == 6
    assert current_version(hub, org) == done.version
    with hub.engine.connect() as conn:
        ds = conn.execute(sa.select(datasets.c.id)).scalar_one()
        assert active_count(conn, ds, "users", role="student") == 5
        user = active_object(conn, ds, "users", "738733110")
        demographics = active_object(conn, ds, "demographics", "738733110")
    assert user is not None
    assert demographics is not None
    assert demographics["birthDate"] == "1998-11-01"  # normalized
    assert "password" not in user
    assert "Password" not in user


def test_full_mode_update_and_removal_with_knock_on(hub: Hub, org: Organization) -> None:
    files = district()
    upload(hub, org, files)
    changed = students_without(files, "913113920")
    changed["students.csv"] = changed["students.csv"].replace(b",Schmeler,J,", b",Schmeler-Lee,J,")
    done = upload(hub, org, changed, allow_deletions=True)
    assert done.counts["students.csv"] == {"added": 0, "updated": 1, "removed": 1}
    assert done.preview is not None
    updated = done.preview.changes.files["students.csv"].updated
    assert updated.select("column", "old", "new").rows() == [
        ("Last_name", "Schmeler", "Schmeler-Lee")
    ]
    with hub.engine.connect() as conn:
        ds = conn.execute(sa.select(datasets.c.id)).scalar_one()
        assert active_count(conn, ds, "users", role="student") == 4
        user = active_object(conn, ds, "users", "738733110")
    assert user is not None
    assert user["familyName"] == "Schmeler-Lee"


def test_secrets_show_only_as_changed(hub: Hub, org: Organization) -> None:
    files = district()
    upload(hub, org, files)
    files["students.csv"] = files["students.csv"].replace(b"eel7Thohd", b"n3wSecret!")
    done = upload(hub, org, files)
    assert done.preview is not None
    updated = done.preview.changes.files["students.csv"].updated
    assert updated.select("column", "old", "new").rows() == [("Password", "••••", "••••")]


def test_incremental_mode_removes_nothing(hub: Hub, org: Organization) -> None:
    upload(hub, org, district())
    one = csv(
        "School_id,Student_id,Last_name,First_name",
        "02M800,999000111,Newcomer,Ada",
    )
    done = upload(hub, org, {"students.csv": one}, mode=Mode.INCREMENTAL)
    assert done.status == IN_PRODUCTION
    assert done.counts["students.csv"] == {"added": 1, "updated": 0, "removed": 0}
    assert done.counts["enrollments.csv"] == {"added": 0, "updated": 0, "removed": 0}


def test_a_filtered_record_stays_in_production_as_it_was(hub: Hub, org: Organization) -> None:
    files = district()
    upload(hub, org, files)
    # an invalid date at level Warn filters the student out of this upload; production keeps
    # the student (and the enrollments that cascade) exactly as they were
    files["students.csv"] = files["students.csv"].replace(b",Schmeler,J,", b",Changed,J,")
    files["students.csv"] = files["students.csv"].replace(b"11/1/98", b"13/45/1998")
    done = upload(hub, org, files, levels={"invalid-format": Level.WARN})
    assert done.status == IN_PRODUCTION
    assert done.preview is not None
    assert done.preview.kept == {"students.csv": 1, "enrollments.csv": 2}
    assert done.counts["students.csv"] == {"added": 0, "updated": 0, "removed": 0}
    assert done.counts["enrollments.csv"] == {"added": 0, "updated": 0, "removed": 0}
    with hub.engine.connect() as conn:
        ds = conn.execute(sa.select(datasets.c.id)).scalar_one()
        kept = active_object(conn, ds, "users", "738733110")
        born = active_object(conn, ds, "demographics", "738733110")
    assert kept is not None
    assert born is not None
    assert kept["familyName"] == "Schmeler"
    assert born["birthDate"] == "1998-11-01"


def test_a_mistyped_school_id_keeps_the_student_at_the_real_school(
    hub: Hub, org: Organization
) -> None:
    """Issue 11: the row is filtered (its School_id names no school: Warn), and because the
    key includes School_id, Full mode used to remove the student at the real school. A
    filtered record protects the production records of the same person, whatever the other
    key parts."""
    files = district()
    upload(hub, org, files)
    files["students.csv"] = files["students.csv"].replace(
        b"02M800,738733110,", b"02M8OO,738733110,"
    )
    done = upload(hub, org, files)
    assert done.status == IN_PRODUCTION
    assert done.preview is not None
    assert done.preview.kept["students.csv"] == 1
    assert done.counts["students.csv"] == {"added": 0, "updated": 0, "removed": 0}
    assert done.counts["enrollments.csv"]["removed"] == 0
    assert any("stay in production as they were" in s for s in done.preview.sentences())
    with hub.engine.connect() as conn:
        ds = conn.execute(sa.select(datasets.c.id)).scalar_one()
        kept = active_object(conn, ds, "users", "738733110")
    assert kept is not None
    assert kept["familyName"] == "Schmeler"
    assert [org["sourcedId"] for org in kept["orgs"]] == ["02M800"]  # at the real school


def test_safeguard_holds_then_approve(hub: Hub, org: Organization) -> None:
    files = district()
    first = upload(hub, org, files)
    done = upload(hub, org, students_without(files, "913113920"))
    assert done.status == HELD
    assert current_version(hub, org) == first.version  # production untouched
    assert done.version is not None
    v.approve(hub, org, done.version)
    build_worker(hub).drain()
    assert current_version(hub, org) == done.version
    assert _status(hub, done.version) == IN_PRODUCTION
    with pytest.raises(StateError):
        v.approve(hub, org, done.version)


def test_safeguard_hold_then_discard(hub: Hub, org: Organization) -> None:
    files = district()
    first = upload(hub, org, files)
    done = upload(hub, org, students_without(files, "913113920"))
    assert done.version is not None
    v.discard(hub, org, done.version)
    assert _status(hub, done.version) == DISCARDED
    assert current_version(hub, org) == first.version


def test_two_concurrent_commits_one_wins(hub: Hub, org: Organization) -> None:
    files = district()
    upload(hub, org, files)
    sessions = []
    for name in (b"Alpha", b"Beta"):
        changed = dict(files)
        changed["students.csv"] = files["students.csv"].replace(b"Schmeler", name)
        session = uploads.start(hub, org, "passport-roster")
        uploads.add_files(hub, org, session.id, [SourceFile.of(n, d) for n, d in changed.items()])
        upload_validation.run_validation(hub, org, session.id, committed_by="a@x.org", source="api")
        sessions.append(session.id)
    upload_commit.commit(hub, org, sessions[0], committed_by="a@x.org", source="api")
    with pytest.raises(ProductionChangedError, match="production changed since your preview"):
        upload_commit.commit(hub, org, sessions[1], committed_by="b@x.org", source="api")


def test_failed_validation_is_in_the_history_with_downloads(hub: Hub, org: Organization) -> None:
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"11/1/98", b"13/45/2010")
    done = upload(hub, org, files)
    assert done.status == VALIDATION_ERRORS
    assert done.version is not None
    rows = history.history(hub, org)
    assert [(r.version, r.status) for r in rows] == [(done.version, VALIDATION_ERRORS)]
    report = history.download(hub, org, done.version, "report").decode("utf-8-sig")
    assert "students.csv,2,DOB,13/45/2010,invalid-format,error," in report
    originals = history.download(hub, org, done.version, "originals")
    assert originals.startswith(b"PK")
    assert current_version(hub, org) is None


def test_restore_and_compare(hub: Hub, org: Organization) -> None:
    files = district()
    first = upload(hub, org, files)
    changed = dict(files)
    changed["students.csv"] = files["students.csv"].replace(b"Schmeler", b"Other")
    second = upload(hub, org, changed)
    assert first.version is not None
    assert second.version is not None
    compared = history.compare(hub, org, first.version, second.version)
    assert compared.counts()["students.csv"] == {"added": 0, "updated": 1, "removed": 0}
    restored, _, result = history.restore(
        hub, org, first.version, committed_by="a@x.org", source="api"
    )
    build_worker(hub).drain()
    assert restored is not None
    assert result.counts()["students.csv"] == {"added": 0, "updated": 1, "removed": 0}
    assert _status(hub, restored) == IN_PRODUCTION
    same = history.compare(hub, org, first.version, restored)
    assert all(not any(c.values()) for c in same.counts().values())
    assert history.history(hub, org)[0].restored_from == first.version


def test_session_reset_and_expiry(hub: Hub, org: Organization, clock: Clock) -> None:
    session = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, session.id, [SourceFile.of("schools.csv", b"School_id\n1\n")])
    uploads.reset(hub, org, session.id)
    assert uploads.get(hub, org, session.id).state == uploads.RESET
    assert not list(hub.blobs.keys(f"sessions/{session.id}"))
    with pytest.raises(StateError):
        uploads.add_files(hub, org, session.id, [])
    other = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, other.id, [SourceFile.of("schools.csv", b"School_id\n1\n")])
    assert list(hub.blobs.keys(f"sessions/{other.id}"))
    from datetime import timedelta

    clock.now += timedelta(hours=25)
    assert uploads.expire(hub) == 1
    assert uploads.get(hub, org, other.id).state == uploads.EXPIRED
    assert not list(hub.blobs.keys(f"sessions/{other.id}"))  # an abandoned upload's files go


ONEROSTER_MANIFEST = csv(
    "propertyName,value",
    "manifest.version,1.0",
    "oneroster.version,1.1",
    *(
        f"file.{name},{'MODE' if name in {'orgs', 'users'} else 'absent'}"
        for name in [
            "academicSessions",
            "categories",
            "classes",
            "classResources",
            "courses",
            "courseResources",
            "demographics",
            "enrollments",
            "lineItems",
            "orgs",
            "resources",
            "results",
            "users",
        ]
    ),
)
USERS_HEADER = (
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
    "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password"
)


def test_oneroster_bulk_then_delta_deletes(hub: Hub, org: Organization) -> None:
    orgs = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId"
    bulk = {
        "manifest.csv": ONEROSTER_MANIFEST.replace(b"MODE", b"bulk"),
        "orgs.csv": csv(orgs, "sch-1,,,Lincoln High,school,,"),
        "users.csv": csv(
            USERS_HEADER,
            "u1,,,true,sch-1,student,ada,,Ada,Lovelace,,,,,,,,",
            "u2,,,true,sch-1,student,alan,,Alan,Turing,,,,,,,,",
        ),
    }
    first = upload(hub, org, bulk, model="oneroster-1.1")
    assert first.status == IN_PRODUCTION
    delta = {
        "manifest.csv": ONEROSTER_MANIFEST.replace(b"MODE", b"delta"),
        "orgs.csv": csv(orgs),
        "users.csv": csv(
            USERS_HEADER,
            "u2,tobedeleted,2026-11-28T00:00:00Z,true,sch-1,student,alan,,Alan,Turing,,,,,,,,",
            "u3,active,2026-11-28T00:00:00Z,true,sch-1,teacher,grace,,Grace,Hopper,,,,,,,,",
        ),
    }
    delta["orgs.csv"] = csv(orgs, "sch-1,active,2026-11-28T00:00:00Z,Lincoln High,school,,")
    second = upload(hub, org, delta, model="oneroster-1.1")
    assert second.status == IN_PRODUCTION, second.report.to_dict()["issues"]
    assert second.counts["users.csv"] == {"added": 1, "updated": 0, "removed": 1}
    with hub.engine.connect() as conn:
        ds = conn.execute(
            sa.select(datasets.c.id).where(datasets.c.model == "oneroster-1.1")
        ).scalar_one()
        assert active_count(conn, ds, "users") == 2
        assert active_object(conn, ds, "users", "u2") is None


def test_snapshot_keeps_passwords_encrypted(hub: Hub, org: Organization) -> None:
    done = upload(hub, org, district())
    assert done.version is not None
    raw = b"".join(
        hub.blobs.get(k) for k in hub.blobs.keys("snapshots") if k.endswith(("parquet", "secrets"))
    )
    assert b"eel7Thohd" not in raw
    states = production_states(hub, get_model("passport-roster"), done.version)
    assert "eel7Thohd" in states["students.csv"].get_column("Password").to_list()
    assert isinstance(states["students.csv"], pl.DataFrame)


def test_propagation_failure_is_visible_and_retryable(
    hub: Hub, org: Organization, clock: Clock
) -> None:
    from datetime import timedelta
    from functools import partial

    from rosterport.jobs.worker import Worker
    from rosterport.services.propagation import propagate
    from rosterport.store import jobs as queue

    session = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, session.id, [SourceFile.of(n, d) for n, d in district().items()])
    upload_validation.run_validation(hub, org, session.id, committed_by="a@x.org", source="api")
    version, status, _ = upload_commit.commit(
        hub, org, session.id, committed_by="a@x.org", source="api"
    )
    assert status == PENDING
    snapshot = next(
        k
        for k in hub.blobs.keys("snapshots")
        if k.endswith("/students.csv.parquet") and "/changes/" not in k
    )
    saved = hub.blobs.get(snapshot)
    hub.blobs.delete_prefix(snapshot)  # the consumer cannot read the version: it fails

    def later() -> datetime:
        clock.now += timedelta(hours=2)  # past every back-off
        return clock.now

    worker = Worker(hub.engine, {v.PROPAGATE: partial(propagate, hub)}, clock=later)
    assert worker.drain() == 5  # max_attempts
    assert _status(hub, version) == PROPAGATION_FAILED
    (failed,) = queue.list_jobs(hub.engine, state="failed")
    hub.blobs.put(snapshot, saved)
    queue.retry(hub.engine, failed["id"], now=clock.now)
    assert worker.drain() == 1
    assert _status(hub, version) == IN_PRODUCTION


def test_retry_propagation_queues_a_failed_version_once_more(
    hub: Hub, org: Organization, clock: Clock
) -> None:
    from datetime import timedelta
    from functools import partial

    from rosterport.errors import NotFoundError
    from rosterport.jobs.worker import Worker
    from rosterport.services.organizations import create_org
    from rosterport.services.propagation import propagate
    from rosterport.store import jobs as queue

    session = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, session.id, [SourceFile.of(n, d) for n, d in district().items()])
    upload_validation.run_validation(hub, org, session.id, committed_by="a@x.org", source="api")
    version, _, _ = upload_commit.commit(hub, org, session.id, committed_by="a@x.org", source="api")
    with pytest.raises(StateError, match="not Propagation failed"):
        v.retry_propagation(hub, org, version)  # pending: nothing to retry
    snapshot = next(
        k
        for k in hub.blobs.keys("snapshots")
        if k.endswith("/students.csv.parquet") and "/changes/" not in k
    )
    saved = hub.blobs.get(snapshot)
    hub.blobs.delete_prefix(snapshot)

    def later() -> datetime:
        clock.now += timedelta(hours=2)
        return clock.now

    worker = Worker(hub.engine, {v.PROPAGATE: partial(propagate, hub)}, clock=later)
    worker.drain()
    assert _status(hub, version) == PROPAGATION_FAILED
    other = create_org(hub, "shelbyville")
    with pytest.raises(NotFoundError):
        v.retry_propagation(hub, other, version)  # another organization's version

    hub.blobs.put(snapshot, saved)  # the cause is fixed
    job = v.retry_propagation(hub, org, version)
    assert _status(hub, version) == PENDING
    with pytest.raises(StateError):
        v.retry_propagation(hub, org, version)  # queued already: not twice
    assert [j["id"] for j in queue.list_jobs(hub.engine, state="queued")] == [job]
    assert worker.drain() == 1
    assert _status(hub, version) == IN_PRODUCTION
