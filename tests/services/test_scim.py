"""SCIM 2.0 provisioning against a real SCIM server on loopback (scim2-server, both
databases): after each version in production the application's users equal the
directory's in-scope accounts — adds, changes, a school move, a suspension, a deletion after
the grace period, a restore; a retry after lost answers makes no second user; a wrong token
is a failed ledger row without the token; roles and schools scope what is sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rosterport.services import directory as directory_service
from rosterport.services import propagation, scim, scim_push
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org, update_settings
from rosterport.store import jobs as queue
from rosterport.store.jobs import Job
from rosterport.store.tables import directory_accounts, jobs, scim_users
from tests.conftest import Clock, district
from tests.scim_server import ScimServer, scim_server
from tests.services.test_propagation import claimed, commit

TOKEN = "scim-Very-Secret-Token-4f1c9a"
Files = dict[str, bytes]


@pytest.fixture
def org(hub: Hub) -> Organization:
    made = create_org(hub, "springfield", "Springfield USD")
    return update_settings(hub, made, dataclasses.replace(made.settings, default_threshold=1.0))


@pytest.fixture(params=[True, False], ids=["bulk", "one-each"])
def server(request: pytest.FixtureRequest) -> Iterator[ScimServer]:
    with scim_server(TOKEN, bulk=request.param) as running:
        yield running


def version(hub: Hub, org: Organization, files: Files) -> int:
    """Commit and propagate `files`; the SCIM pushes it queued stay queued."""
    version_id = commit(hub, org, files)
    propagation.propagate(hub, claimed(hub, version_id))
    return version_id


def pushes(hub: Hub) -> list[int]:
    """Run every queued SCIM push (as the worker would); the applications pushed."""
    queued = [j for j in queue.list_jobs(hub.engine) if j["kind"] == scim.PUSH]
    for row in queued:
        job = Job(row["id"], row["kind"], row["payload"], 1, row["max_attempts"])
        scim_push.push(hub, job)
    with hub.engine.begin() as conn:
        conn.execute(sa.delete(jobs).where(jobs.c.kind == scim.PUSH))
    return [int(r["payload"]["app_id"]) for r in queued]


def directory(hub: Hub, *, roles: tuple[str, ...] = (), school: str | None = None) -> dict:
    """sourcedId → (active, userName, familyName) of the in-scope accounts."""
    a = directory_accounts.c
    with hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(a.sourced_id, a.state, a.username, a.family_name, a.role, a.school_ids)
        ).all()
    return {
        r.sourced_id: (r.state == "active", r.username, r.family_name)
        for r in rows
        if r.state != "deleted"
        and (not roles or r.role in roles)
        and (school is None or f"|{school}|" in r.school_ids)
    }


def mirrored(server: ScimServer) -> dict:
    return {
        external: (bool(u.get("active")), u["userName"], (u.get("name") or {}).get("familyName"))
        for external, u in server.users().items()
    }


def without(files: Files, text: bytes) -> Files:
    out = dict(files)
    for name in ("students.csv", "enrollments.csv"):
        lines = out[name].splitlines(keepends=True)
        out[name] = b"".join(line for line in lines if text not in line)
    return out


def moved(files: Files, student: bytes, school: bytes) -> Files:
    """The student in another school (and in none of the old school's classes)."""
    out = dict(files)
    out["enrollments.csv"] = b"".join(
        line for line in out["enrollments.csv"].splitlines(keepends=True) if student not in line
    )
    out["students.csv"] = b"".join(
        school + line[line.index(b",") :] if student in line else line
        for line in out["students.csv"].splitlines(keepends=True)
    )
    return out


def test_each_version_brings_the_application_to_the_directory(
    hub: Hub, org: Organization, server: ScimServer, clock: Clock
) -> None:
    app = scim.add_app(hub, org, name="LMS", base_url=server.url, token=TOKEN)
    first = version(hub, org, district())
    assert pushes(hub) == [app.id]
    assert mirrored(server) == directory(hub)
    assert len(server.users()) == 8  # 5 students, 3 teachers
    assert ("/v2/Bulk" in server.paths) is server.bulk  # one bulk request when offered
    assert scim.ledger(hub, app, first) == {"state": "done", "attempts": 1, "error": None}
    assert scim.counts_of(hub, app, first) == {
        "created": 8,
        "adopted": 0,
        "replaced": 0,
        "deleted": 0,
        "failed": 0,
    }
    ids = {k: u["id"] for k, u in server.users().items()}

    clock.now += timedelta(hours=1)  # a change
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"Schmeler", b"Renamed")
    changed = version(hub, org, files)
    pushes(hub)
    assert mirrored(server)["738733110"] == (True, "dianes10", "Renamed")
    assert mirrored(server) == directory(hub)
    assert {k: u["id"] for k, u in server.users().items()} == ids  # the same users
    assert scim.counts_of(hub, app, changed)["replaced"] == 1

    clock.now += timedelta(hours=1)  # a school move
    version(hub, org, moved(district(), b"913113920", b"13K123"))
    pushes(hub)
    assert mirrored(server) == directory(hub)

    clock.now += timedelta(hours=1)  # absent: suspended, `active: false`
    version(hub, org, without(district(), b"738733110"))
    pushes(hub)
    assert mirrored(server)["738733110"][0] is False
    assert mirrored(server) == directory(hub)

    clock.now += timedelta(days=1)  # back: the same user, active again
    version(hub, org, district())
    pushes(hub)
    assert mirrored(server)["738733110"][0] is True
    assert server.users()["738733110"]["id"] == ids["738733110"]

    clock.now += timedelta(hours=1)  # absent past the grace period: deleted there too
    version(hub, org, without(district(), b"738733110"))
    pushes(hub)
    clock.now += timedelta(days=31)
    files = without(district(), b"738733110")
    files["students.csv"] = files["students.csv"].replace(b"Greenholt", b"Changed")
    version(hub, org, files)
    pushes(hub)
    assert "738733110" not in server.users()
    assert mirrored(server) == directory(hub)

    clock.now += timedelta(hours=1)  # the grace-period chore (no version) is pushed too
    version(hub, org, without(district(), b"841688312"))
    pushes(hub)
    clock.now += timedelta(days=31)
    assert (
        directory_service.expire(
            hub, on_deleted=lambda conn, orgs: scim.on_accounts_deleted(hub, conn, orgs)
        )
        == 1
    )
    assert pushes(hub) == [app.id]
    assert "841688312" not in server.users()
    assert mirrored(server) == directory(hub)

    clock.now += timedelta(hours=1)  # restored after deletion: a user again
    version(hub, org, district())
    pushes(hub)
    assert mirrored(server) == directory(hub)
    assert len(server.users()) == 8


@pytest.mark.parametrize("listing", [False, True], ids=["filter-each", "one-listing"])
def test_a_retry_after_lost_answers_makes_no_second_user(
    hub: Hub,
    org: Organization,
    server: ScimServer,
    listing: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if listing:
        monkeypatch.setattr(scim_push, "LIST_AT", 1)
    app = scim.add_app(hub, org, name="LMS", base_url=server.url, token=TOKEN)
    version(hub, org, district())
    pushes(hub)
    before = {k: u["id"] for k, u in server.users().items()}
    with hub.engine.begin() as conn:  # the answers were lost: nothing saved on our side
        conn.execute(sa.delete(scim_users))
    scim.run_now(hub, app)
    pushes(hub)
    assert {k: u["id"] for k, u in server.users().items()} == before
    assert len(server.storage.resources) == 8
    assert scim.app_by_id(hub, app.id).last_counts["adopted"] == 8


def test_a_wrong_token_is_a_failed_ledger_row_without_any_token(
    hub: Hub, org: Organization
) -> None:
    with scim_server(TOKEN) as running:
        app = scim.add_app(hub, org, name="LMS", base_url=running.url, token="wrong-Secret-77")
        first = version(hub, org, district())
        (row,) = [j for j in queue.list_jobs(hub.engine) if j["kind"] == scim.PUSH]
        last = Job(row["id"], row["kind"], row["payload"], 8, 8)
        with pytest.raises(scim.ScimPushFailed) as raised:
            scim_push.push(hub, last)
        assert running.users() == {}
    assert "wrong-Secret-77" not in str(raised.value)
    entry = scim.ledger(hub, app, first)
    assert entry is not None
    assert entry["state"] == "failed"
    assert "401" in entry["error"]
    assert "wrong-Secret-77" not in entry["error"]
    assert "wrong-Secret-77" not in str(scim.app_by_id(hub, app.id).to_json())


def test_roles_and_schools_scope_what_is_sent(hub: Hub, org: Organization, clock: Clock) -> None:
    with scim_server(TOKEN) as teachers, scim_server(TOKEN) as school:
        only_teachers = scim.ScimSettings(roles=("teacher",))
        scim.add_app(hub, org, name="T", base_url=teachers.url, token=TOKEN, settings=only_teachers)
        one_school = scim.ScimSettings(schools=("02M800",))
        scim.add_app(hub, org, name="S", base_url=school.url, token=TOKEN, settings=one_school)
        version(hub, org, district())
        pushes(hub)
        assert mirrored(teachers) == directory(hub, roles=("teacher",))
        assert len(mirrored(teachers)) == 3
        assert all(k.startswith("teacher-") for k in mirrored(teachers))
        assert mirrored(school) == directory(hub, school="02M800")
        assert "913113920" in mirrored(school)

        clock.now += timedelta(hours=1)  # moved out of the school: deleted from its app
        version(hub, org, moved(district(), b"913113920", b"13K123"))
        pushes(hub)
        assert "913113920" not in mirrored(school)
        assert mirrored(school) == directory(hub, school="02M800")


def test_settings_are_checked_and_the_token_is_never_shown(hub: Hub, org: Organization) -> None:
    with pytest.raises(scim.InputError):
        scim.add_app(hub, org, name="x", base_url="ftp://nowhere", token=TOKEN)
    with pytest.raises(scim.InputError):
        scim.add_app(
            hub,
            org,
            name="x",
            base_url="https://a.example",
            token=TOKEN,
            settings=scim.ScimSettings(roles=("wizard",)),
        )
    app = scim.add_app(hub, org, name="x", base_url="https://a.example/scim/v2", token=TOKEN)
    assert TOKEN not in str(app.to_json())
    assert TOKEN not in str(scim.list_apps(hub, org))
    with hub.engine.connect() as conn:
        sealed = conn.execute(sa.text("SELECT secret FROM scim_apps")).scalar_one()
    assert TOKEN.encode() not in bytes(sealed)
    scim.remove_app(hub, app)
    assert scim.list_apps(hub, org) == []
