"""The accounts directory moves with propagation (both databases): one account per person,
suspended when absent, deleted after the grace period, reactivated when back, initial
passwords only as argon2id hashes, its own row in the deliveries ledger."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rosterport.domain.version_status import IN_PRODUCTION
from rosterport.services import directory, propagation
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org, update_settings
from rosterport.store import jobs as queue
from rosterport.store.directory.queries import Selection
from rosterport.store.tables import deliveries, directory_accounts
from tests.conftest import Clock, district
from tests.services.test_propagation import claimed, commit, status


@pytest.fixture
def org(hub: Hub) -> Organization:
    made = create_org(hub, "springfield", "Springfield USD")
    return update_settings(hub, made, dataclasses.replace(made.settings, default_threshold=1.0))


def run(hub: Hub, version_id: int) -> None:
    propagation.propagate(hub, claimed(hub, version_id))


def states(hub: Hub) -> dict[str, tuple[int, str]]:
    """sourcedId → (account id, state)."""
    a = directory_accounts.c
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(a.sourced_id, a.id, a.state)).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def without(files: dict[str, bytes], text: bytes) -> dict[str, bytes]:
    out = dict(files)
    for name in ("students.csv", "enrollments.csv"):
        lines = out[name].splitlines(keepends=True)
        out[name] = b"".join(line for line in lines if text not in line)
    return out


def hash_job(hub: Hub) -> None:
    (row,) = [j for j in queue.list_jobs(hub.engine) if j["kind"] == directory.HASH_PASSWORDS]
    with hub.engine.begin() as conn:
        conn.execute(sa.text("UPDATE jobs SET run_at = :t"), {"t": hub.clock().replace(year=2100)})
        conn.execute(
            sa.text("UPDATE jobs SET run_at = :t WHERE id = :id"),
            {"t": hub.clock(), "id": row["id"]},
        )
    job = queue.claim(hub.engine, "test-hash", now=hub.clock())
    assert job is not None
    directory.hash_passwords(hub, job)


def test_one_account_per_person_with_its_fields_and_ledger_row(hub: Hub, org: Organization) -> None:
    first = commit(hub, org, district())
    run(hub, first)
    assert status(hub, first) == IN_PRODUCTION
    accounts = states(hub)
    assert accounts["738733110"][1] == "active"
    assert accounts["teacher-47"][1] == "active"
    assert len(accounts) == len(set(accounts))
    found = directory.account(hub, org, "738733110")
    assert (found.given_name, found.family_name, found.email) == (
        "Diane",
        "Schmeler",
        "diane.s@example.org",
    )
    assert (found.role, found.username, found.sis_id) == ("student", "dianes10", "738733110")
    assert found.schools == "|02M800|"
    teacher = directory.account(hub, org, "teacher-47")
    assert (teacher.sis_id, teacher.role) == ("47", "teacher")
    with hub.engine.connect() as conn:
        ledger = conn.execute(
            sa.select(deliveries.c.consumer, deliveries.c.state).where(
                deliveries.c.version_id == first
            )
        ).all()
    assert ("directory", "done") in [tuple(r) for r in ledger]


def test_initial_passwords_are_kept_only_as_argon2id_hashes(hub: Hub, org: Organization) -> None:
    first = commit(hub, org, district())
    run(hub, first)
    assert not directory.account(hub, org, "738733110").has_password  # the job is queued
    hash_job(hub)
    assert directory.account(hub, org, "738733110").has_password
    assert directory.verify_password(hub, org, "738733110", "eel7Thohd")
    assert not directory.verify_password(hub, org, "738733110", "wrong")
    with hub.engine.connect() as conn:
        stored = conn.execute(
            sa.select(directory_accounts.c.password_hash).where(
                directory_accounts.c.sourced_id == "738733110"
            )
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "eel7Thohd" not in stored


def test_absent_suspended_then_deleted_after_the_grace_period_and_back(
    hub: Hub, org: Organization, clock: Clock
) -> None:
    run(hub, commit(hub, org, district()))
    account_id = states(hub)["738733110"][0]
    clock.now += timedelta(hours=1)
    run(hub, commit(hub, org, without(district(), b"738733110")))
    assert states(hub)["738733110"] == (account_id, "suspended")
    assert states(hub)["913113920"][1] == "active"

    clock.now += timedelta(days=2)  # back within the grace period: the same account
    run(hub, commit(hub, org, district()))
    assert states(hub)["738733110"] == (account_id, "active")

    clock.now += timedelta(hours=1)
    run(hub, commit(hub, org, without(district(), b"738733110")))
    clock.now += timedelta(days=29)
    assert directory.expire(hub) == 0
    clock.now += timedelta(days=1, seconds=1)
    assert directory.expire(hub) == 1
    assert states(hub)["738733110"] == (account_id, "deleted")


def test_a_change_rewrites_only_the_changed_account(
    hub: Hub, org: Organization, clock: Clock
) -> None:
    run(hub, commit(hub, org, district()))
    before = directory.account(hub, org, "913113920").changed_at
    clock.now += timedelta(hours=1)
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"Schmeler", b"Renamed")
    run(hub, commit(hub, org, files))
    assert directory.account(hub, org, "738733110").family_name == "Renamed"
    assert directory.account(hub, org, "913113920").changed_at == before
    total, page = directory.accounts_page(
        hub, Selection(org.id, text="renamed"), offset=0, limit=10
    )
    assert (total, [a.sourced_id for a in page]) == (1, ["738733110"])
    total, _ = directory.accounts_page(
        hub, Selection(org.id, role="teacher", state="active"), offset=0, limit=10
    )
    assert total == len([s for s in states(hub) if s.startswith("teacher-")])


def test_a_version_after_the_grace_period_deletes_the_absent_account(
    hub: Hub, org: Organization, clock: Clock
) -> None:
    run(hub, commit(hub, org, district()))
    clock.now += timedelta(hours=1)
    run(hub, commit(hub, org, without(district(), b"738733110")))
    clock.now += timedelta(days=31)
    files = without(district(), b"738733110")
    files["students.csv"] = files["students.csv"].replace(b"Greenholt", b"Changed")
    run(hub, commit(hub, org, files))
    assert states(hub)["738733110"][1] == "deleted"
    assert states(hub)["913113920"][1] == "active"
