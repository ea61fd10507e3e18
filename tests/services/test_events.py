"""Events are written with the roster store's change (both databases): one marker for a
first load (or every object, when the organization asks), a change's created/updated/deleted
events, the same events whether the change is applied in place or as a new generation, a
restore's events taking production back; the feed's cursor, paging, types and retention."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from functools import partial

import pytest
import sqlalchemy as sa

from rosterport.errors import CursorExpiredError, InputError
from rosterport.jobs.worker import Worker
from rosterport.services import events, history, propagation
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, update_settings
from rosterport.services.versions import PROPAGATE
from rosterport.store.tables import deliveries, roster_objects
from tests.conftest import Clock, district
from tests.services.test_propagation import commit, renamed
from tests.services.test_roster_propagation import org, rhub, run, without_student

__all__ = ["org", "rhub"]  # fixtures


def feed(hub: Hub, org: Organization, after: str | None = None) -> list[dict]:
    return events.read(hub, org.id, after=after, limit=10_000, types=None, base="").events


def types(found: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in found:
        out[e["type"]] = out.get(e["type"], 0) + 1
    return out


def test_a_first_load_is_one_marker_then_changes_are_events(
    rhub: Hub, org: Organization, clock: Clock
) -> None:
    first = commit(rhub, org, district())
    run(rhub, first)
    (marker,) = feed(rhub, org)
    assert marker["type"] == "roster.loaded"
    assert marker["version"] == first
    assert marker["data"]["counts"]["users"] > 0
    start = events.current(rhub, org.id)

    clock.now += timedelta(hours=1)
    second = commit(rhub, org, renamed(b"Renamed"))
    run(rhub, second)
    changed = feed(rhub, org, start)
    assert types(changed) == {"users.updated": 1}
    (event,) = changed
    assert event["version"] == second
    assert event["data"]["sourcedId"] == "student-738733110"
    assert event["data"]["familyName"] == "Renamed"
    assert event["data"]["dateLastModified"] == "2026-11-28T10:00:00.000Z"
    assert event["previous"] == {"familyName": "Schmeler"}
    assert event["occurred_at"] == event["data"]["dateLastModified"]

    clock.now += timedelta(hours=1)
    third = commit(rhub, org, without_student(renamed(b"Renamed"), b"913113920"))
    run(rhub, third)
    removed = feed(rhub, org, changed[-1]["id"])
    counted = types(removed)
    assert counted["users.deleted"] == 1
    assert counted["enrollments.deleted"] >= 1
    assert set(counted) == {"users.deleted", "enrollments.deleted", "demographics.deleted"}
    gone = next(e for e in removed if e["type"] == "users.deleted")
    assert gone["data"]["status"] == "tobedeleted"
    assert gone["data"]["sourcedId"] == "student-913113920"


def test_the_organization_may_ask_for_every_object_on_a_first_load(
    rhub: Hub, org: Organization
) -> None:
    update_settings(rhub, org, dataclasses.replace(org.settings, events_on_first_load=True))
    run(rhub, commit(rhub, org, district()))
    with rhub.engine.connect() as conn:
        objects = conn.execute(sa.select(sa.func.count()).select_from(roster_objects)).scalar()
    found = feed(rhub, org)
    assert len(found) == objects
    assert {e["type"].rpartition(".")[2] for e in found} == {"created"}


def test_a_large_change_yields_the_same_events_as_a_small_one(
    rhub: Hub, org: Organization, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(rhub, commit(rhub, org, district()))
    start = events.current(rhub, org.id)
    clock.now += timedelta(hours=1)
    monkeypatch.setattr(propagation, "INCREMENTAL_LIMIT", 0)  # every change: a new generation
    run(rhub, commit(rhub, org, without_student(renamed(b"Renamed"), b"913113920")))
    counted = types(feed(rhub, org, start))
    assert counted["users.updated"] == 1
    assert counted["users.deleted"] == 1
    assert "roster.loaded" not in counted


def test_a_restore_yields_the_events_that_take_production_back(
    rhub: Hub, org: Organization, clock: Clock
) -> None:
    first = commit(rhub, org, district())
    run(rhub, first)
    clock.now += timedelta(hours=1)
    run(rhub, commit(rhub, org, without_student(district(), b"913113920")))
    start = events.current(rhub, org.id)
    clock.now += timedelta(hours=1)
    restored, _, _ = history.restore(
        rhub, org, first, committed_by="a@x.org", source="api", allow_deletions=True
    )
    assert restored is not None
    run(rhub, restored)
    back = feed(rhub, org, start)
    assert {e["version"] for e in back} == {restored}
    assert types(back)["users.created"] == 1
    assert all(e["data"]["status"] == "active" for e in back)
    with rhub.engine.connect() as conn:  # the roster store's own ledger row
        state = conn.execute(
            sa.select(deliveries.c.state).where(
                deliveries.c.version_id == restored, deliveries.c.consumer == "roster-store"
            )
        ).scalar()
    assert state == "done"


def test_the_feed_pages_by_cursor_and_filters_by_type(rhub: Hub, org: Organization) -> None:
    update_settings(rhub, org, dataclasses.replace(org.settings, events_on_first_load=True))
    run(rhub, commit(rhub, org, district()))
    every = feed(rhub, org)
    seen: list[dict] = []
    after = None
    while True:
        page = events.read(rhub, org.id, after=after, limit=7, types=None, base="")
        seen += page.events
        after = page.next
        if not page.has_more:
            break
    assert [e["id"] for e in seen] == [e["id"] for e in every]
    users = events.read(rhub, org.id, after=None, limit=100, types=["users.created"], base="")
    assert users.events
    assert {e["type"] for e in users.events} == {"users.created"}
    with pytest.raises(InputError):
        events.read(rhub, org.id, after="not-a-cursor", limit=10, types=None, base="")


def test_events_past_the_retention_are_purged_and_older_cursors_expire(
    rhub: Hub, org: Organization, clock: Clock
) -> None:
    run(rhub, commit(rhub, org, district()))
    old_cursor = events.cursor(0)
    clock.now += timedelta(days=31)
    run(rhub, commit(rhub, org, renamed(b"Renamed")))
    assert events.purge(rhub) == 1  # the marker; the newer event stays
    with pytest.raises(CursorExpiredError) as expired:
        events.read(rhub, org.id, after=old_cursor, limit=10, types=None, base="")
    assert "Re-read the roster" in str(expired.value)
    page = events.read(rhub, org.id, after=None, limit=10, types=None, base="")
    assert [e["type"] for e in page.events] == ["users.updated"]
    assert expired.value.current == page.next
    assert json.dumps(page.events)  # JSON-serializable


def test_a_propagation_that_gives_up_marks_the_roster_store_failed_and_writes_no_events(
    rhub: Hub, org: Organization, clock: Clock
) -> None:
    version = commit(rhub, org, district())
    snapshot = next(
        k
        for k in rhub.blobs.keys("snapshots")
        if k.endswith("/students.csv.parquet") and "/changes/" not in k
    )
    rhub.blobs.delete_prefix(snapshot)  # the consumers cannot read the version

    def later() -> datetime:
        clock.now += timedelta(hours=2)  # past every back-off
        return clock.now

    worker = Worker(rhub.engine, {PROPAGATE: partial(propagation.propagate, rhub)}, clock=later)
    assert worker.drain() == 5
    with rhub.engine.connect() as conn:
        states = dict(
            conn.execute(
                sa.select(deliveries.c.consumer, deliveries.c.state).where(
                    deliveries.c.version_id == version
                )
            ).all()
        )
    assert states == {"directory": "failed", "read-model": "failed", "roster-store": "failed"}
    assert feed(rhub, org) == []
