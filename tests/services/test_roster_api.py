"""The OneRoster API's service and queries on both databases: filters on index columns and
on JSON fields, sorting, nested endpoints, school subsets, delta reads with tombstones."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from rosterport.services import api_apps, propagation, roster_api
from rosterport.services.api_apps import AppCaller
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.services.roster_api import ApiProblem
from tests.conftest import Clock, district
from tests.roster import fake
from tests.services.test_propagation import claimed, commit, renamed
from tests.services.test_roster_propagation import org, without_student  # noqa: F401 - fixture

BASE = "https://example.test/ims/oneroster/v1p1"


@pytest.fixture
def rhub(hub: Hub, org: Organization) -> Hub:  # noqa: F811 - the fixture imported above
    loaded = dataclasses.replace(hub, roster_mapping=fake.to_roster)
    version = commit(loaded, org, district())
    propagation.propagate(loaded, claimed(loaded, version))
    return loaded


def caller(org: Organization, *scopes: str, schools: tuple[str, ...] | None = None) -> AppCaller:  # noqa: F811
    return AppCaller(org.id, "c", scopes or (api_apps.FULL,), schools)


def ids(hub: Hub, who: AppCaller, path: tuple[str, ...], **params: str) -> list[str]:
    answer = roster_api.listing(hub, who, path, params, BASE)
    return [o["sourcedId"] for o in answer.body]


def test_queries(rhub: Hub, org: Organization) -> None:  # noqa: F811
    me = caller(org)
    teachers = ids(rhub, me, ("teachers",))
    assert teachers == sorted(teachers)
    assert all(t.startswith("teacher-") for t in teachers)
    assert ids(rhub, me, ("users",), filter="username~'DIANE'") == ["student-738733110"]
    assert ids(rhub, me, ("users",), filter="identifier='738733110'") == ["student-738733110"]
    by_name = roster_api.listing(rhub, me, ("users",), {"sort": "username"}, BASE).body
    assert [u["username"] for u in by_name] == sorted(u["username"] for u in by_name)
    titles = roster_api.listing(
        rhub, me, ("classes",), {"sort": "title", "orderBy": "desc"}, BASE
    ).body
    assert [c["title"] for c in titles] == sorted((c["title"] for c in titles), reverse=True)
    assert ids(rhub, me, ("classes",), filter="title~'ninth'") == ["667"]
    assert "student-738733110" in ids(rhub, me, ("classes", "642", "students"))
    assert ids(rhub, me, ("students", "student-738733110", "classes")) == ["642", "667"]
    assert ids(rhub, me, ("schools", "02M800", "classes", "642", "teachers")) == ["teacher-48"]
    assert ids(rhub, me, ("courses", "course-101", "classes")) == ["667"]
    term = ids(rhub, me, ("schools", "02M800", "terms"))[0]
    assert "642" in ids(rhub, me, ("terms", term, "classes"))
    with pytest.raises(ApiProblem) as refused:
        ids(rhub, me, ("schools", "13K123", "classes", "642", "students"))
    assert refused.value.status == 404
    scoped = caller(org, schools=("13K123",))
    assert "02M800" not in ids(rhub, scoped, ("schools",))
    with pytest.raises(ApiProblem) as hidden:
        roster_api.one(rhub, scoped, "classes", "642", params={}, base=BASE)
    assert hidden.value.status == 404
    core = caller(org, api_apps.CORE)
    with pytest.raises(ApiProblem) as forbidden:
        ids(rhub, core, ("demographics",))
    assert forbidden.value.status == 403


def test_delta_read(rhub: Hub, org: Organization, clock: Clock) -> None:  # noqa: F811
    clock.now += timedelta(hours=1)
    version = commit(rhub, org, without_student(renamed(b"Later"), b"913113920"))
    propagation.propagate(rhub, claimed(rhub, version))
    me = caller(org)
    delta = roster_api.listing(
        rhub, me, ("users",), {"filter": "dateLastModified>='2026-11-28T09:30:00Z'"}, BASE
    ).body
    assert {(u["sourcedId"], u["status"]) for u in delta} == {
        ("student-738733110", "active"),
        ("student-913113920", "tobedeleted"),
    }
    assert "student-913113920" not in ids(rhub, me, ("users",))


def test_rate_limit(hub: Hub, org: Organization, clock: Clock) -> None:  # noqa: F811
    made, _ = api_apps.create(hub, org, "busy")
    who = AppCaller(org.id, made.client_id, (api_apps.CORE,), None, made.id)
    clock.now = clock.now.replace(second=15)
    assert [api_apps.retry_after(hub, who, 3) for _ in range(3)] == [None] * 3
    assert api_apps.retry_after(hub, who, 3) == 45  # the rest of this minute
    assert api_apps.retry_after(hub, who, 0) is None  # no limit
    clock.now += timedelta(minutes=1)
    assert api_apps.retry_after(hub, who, 3) is None
