"""The roster store moves with the read model (both databases): first load, a change, a
removal (tombstone at the commit time), a restore, the large-change path (a new generation
that keeps dates and tombstones) and tombstone retention."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rosterport.domain.version_status import IN_PRODUCTION
from rosterport.services import propagation, roster_store
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org, update_settings
from rosterport.store.tables import read_models, roster_objects, versions
from tests.conftest import EPOCH, Clock, district
from tests.roster import fake
from tests.services.test_propagation import claimed, commit, renamed, status

Row = tuple[str, str, object]


@pytest.fixture
def org(hub: Hub) -> Organization:
    """An organization whose safeguards allow removals."""
    made = create_org(hub, "springfield", "Springfield USD")
    return update_settings(hub, made, dataclasses.replace(made.settings, default_threshold=1.0))


@pytest.fixture
def rhub(hub: Hub) -> Hub:
    """The hub with the stand-in mapping."""
    return dataclasses.replace(hub, roster_mapping=fake.to_roster)


def run(hub: Hub, version_id: int) -> None:
    propagation.propagate(hub, claimed(hub, version_id))


def visible(hub: Hub, collection: str) -> dict[str, tuple[str, object]]:
    """sourcedId → (status, dateLastModified) of the visible generation."""
    o = roster_objects.c
    with hub.engine.connect() as conn:
        gen = conn.execute(sa.select(read_models.c.generation)).scalar_one()
        rows = conn.execute(
            sa.select(o.sourced_id, o.status, o.date_last_modified).where(
                o.collection == collection, o.generation == gen
            )
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def without_student(files: dict[str, bytes], student: bytes) -> dict[str, bytes]:
    out = dict(files)
    for name in ("students.csv", "enrollments.csv"):
        lines = out[name].splitlines(keepends=True)
        out[name] = b"".join(line for line in lines if student not in line)
    return out


def test_first_load_change_removal_and_restore(rhub: Hub, org: Organization, clock: Clock) -> None:
    first = commit(rhub, org, district())
    run(rhub, first)
    users = visible(rhub, "users")
    assert users["student-738733110"] == ("active", EPOCH)
    assert {s for s, _ in users.values()} == {"active"}
    assert set(visible(rhub, "orgs")) == {"district-springfield", "02M800", "13K123"}
    assert visible(rhub, "classes")
    assert status(rhub, first) == IN_PRODUCTION

    clock.now += timedelta(hours=1)
    second = commit(rhub, org, renamed(b"Renamed"))
    run(rhub, second)
    users = visible(rhub, "users")
    assert users["student-738733110"] == ("active", EPOCH + timedelta(hours=1))
    assert users["student-913113920"] == ("active", EPOCH)  # unchanged: its date stays

    clock.now += timedelta(hours=1)
    third = commit(rhub, org, without_student(renamed(b"Renamed"), b"913113920"))
    run(rhub, third)
    removed_at = EPOCH + timedelta(hours=2)
    assert visible(rhub, "users")["student-913113920"] == ("tobedeleted", removed_at)
    enrollments = visible(rhub, "enrollments")
    gone = {k: s for k, s in enrollments.items() if "913113920" in k}
    assert gone
    assert set(gone.values()) == {("tobedeleted", removed_at)}

    clock.now += timedelta(hours=1)
    fourth = commit(rhub, org, renamed(b"Renamed"))  # the student is back
    run(rhub, fourth)
    assert visible(rhub, "users")["student-913113920"] == ("active", EPOCH + timedelta(hours=3))
    assert [status(rhub, x) for x in (first, second, third, fourth)] == [IN_PRODUCTION] * 4


def test_a_large_change_is_a_new_generation_keeping_dates_and_tombstones(
    rhub: Hub, org: Organization, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(rhub, commit(rhub, org, district()))
    clock.now += timedelta(hours=1)
    run(rhub, commit(rhub, org, without_student(district(), b"913113920")))
    monkeypatch.setattr(propagation, "INCREMENTAL_LIMIT", 0)  # every change: a new generation
    clock.now += timedelta(hours=1)
    third = commit(rhub, org, without_student(renamed(b"Renamed"), b"913113920"))
    run(rhub, third)
    users = visible(rhub, "users")
    assert users["student-738733110"] == ("active", EPOCH + timedelta(hours=2))
    assert users["student-913113920"] == ("tobedeleted", EPOCH + timedelta(hours=1))
    teacher = next(k for k in users if k.startswith("teacher-"))
    assert users[teacher] == ("active", EPOCH)
    with rhub.engine.connect() as conn:  # the old generation is gone
        generations = set(conn.execute(sa.select(roster_objects.c.generation).distinct()).scalars())
    assert len(generations) == 1


def test_tombstones_are_purged_after_the_retention(
    rhub: Hub, org: Organization, clock: Clock
) -> None:
    run(rhub, commit(rhub, org, district()))
    run(rhub, commit(rhub, org, without_student(district(), b"913113920")))
    assert visible(rhub, "users")["student-913113920"][0] == "tobedeleted"
    clock.now += timedelta(days=31)
    run(rhub, commit(rhub, org, without_student(renamed(b"Later"), b"913113920")))
    assert "student-913113920" not in visible(rhub, "users")


def test_only_the_roster_source_feeds_the_store(rhub: Hub, org: Organization) -> None:
    first = commit(rhub, org, district())
    run(rhub, first)
    with rhub.engine.connect() as conn:
        dataset = conn.execute(
            sa.select(versions.c.dataset_id).where(versions.c.id == first)
        ).scalar_one()
        stored = set(conn.execute(sa.select(roster_objects.c.dataset_id).distinct()).scalars())
    assert stored == {dataset}


def test_a_dataset_propagated_before_the_store_existed_is_loaded_whole(
    hub: Hub, rhub: Hub, org: Organization, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roster_store, "domain_mapping", lambda: None)  # no roster consumer yet
    run(hub, commit(hub, org, district()))
    assert visible(hub, "users") == {}
    clock.now += timedelta(hours=1)
    run(rhub, commit(rhub, org, renamed(b"Renamed")))  # the consumer arrives
    users = visible(rhub, "users")
    assert len(users) == 8
    assert {s for s, _ in users.values()} == {"active"}
