"""Committing one upload session, on both databases: several commits at once give one
version and clear refusals, a crashed commit is resumed, a commit refused because production
moved can be validated again."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rosterport.csvio.sources import SourceFile
from rosterport.domain.preview import Verified
from rosterport.domain.upload_session import COMMITTED
from rosterport.domain.version_status import PENDING
from rosterport.errors import ProductionChangedError, RosterportError, StateError
from rosterport.services import upload_commit, upload_validation, uploads
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store.tables import upload_sessions, versions
from tests.conftest import Clock, district


def validated(hub: Hub, org: Organization, *, verify: bool = True) -> str:
    session = uploads.start(hub, org, "passport-roster")
    files = [SourceFile.of(n, d) for n, d in district().items()]
    uploads.add_files(hub, org, session.id, files)
    upload_validation.run_validation(hub, org, session.id, committed_by="a@x.org", source="api")
    if verify:
        upload_commit.changes(hub, org, session.id)
    return session.id


def commit(hub: Hub, org: Organization, session_id: str) -> tuple[int, str, Verified]:
    return upload_commit.commit(hub, org, session_id, committed_by="a@x.org", source="api")


def version_count(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(versions)).scalar_one())


@pytest.mark.parametrize("verify", [True, False])
def test_three_commits_of_one_session_at_once_make_one_version(
    hub: Hub, org: Organization, verify: bool
) -> None:
    session_id = validated(hub, org, verify=verify)
    barrier = threading.Barrier(3)
    outcomes: list[object] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            result: object = commit(hub, org, session_id)[0]
        except RosterportError as error:
            result = error
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    committed = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if not isinstance(o, int)]
    assert len(committed) == 1, outcomes
    assert all(isinstance(o, StateError) for o in refused), outcomes
    assert all("commit" in str(o) for o in refused)
    assert version_count(hub) == 1


def test_a_second_commit_says_which_version_it_became(hub: Hub, org: Organization) -> None:
    session_id = validated(hub, org)
    version, _, _ = commit(hub, org, session_id)
    with pytest.raises(StateError, match=f"already committed as version {version}"):
        commit(hub, org, session_id)
    assert version_count(hub) == 1


class Killed(Exception):
    """Stands for the process dying at that point."""


def crash_in_commit(hub: Hub, org: Organization, monkeypatch: pytest.MonkeyPatch, at: str) -> str:
    """A commit that dies at "move" (the snapshot moved, no version yet) or at
    "transaction" (the version committed, the session not marked yet)."""
    session_id = validated(hub, org)
    real_save = uploads._save

    def dies(*_args: object, **_kwargs: object) -> None:
        raise Killed

    def dies_marking_committed(
        hub_: Hub, session: uploads.Session, state: str, data: dict[str, object]
    ) -> uploads.Session:
        if state == COMMITTED:
            raise Killed
        return real_save(hub_, session, state, data)

    if at == "move":
        monkeypatch.setattr(v, "_insert_version", dies)
    else:
        monkeypatch.setattr(upload_commit, "_save", dies_marking_committed)
    with pytest.raises(Killed):
        commit(hub, org, session_id)
    monkeypatch.undo()
    return session_id


@pytest.mark.parametrize("at", ["move", "transaction"])
def test_a_crashed_commit_is_resumed_after_a_while(
    hub: Hub, org: Organization, clock: Clock, monkeypatch: pytest.MonkeyPatch, at: str
) -> None:
    session_id = crash_in_commit(hub, org, monkeypatch, at)
    with pytest.raises(StateError, match="in progress"):
        commit(hub, org, session_id)  # too soon: it might still be running
    clock.now += upload_commit.STALE_COMMIT + timedelta(seconds=1)
    _, status, _ = commit(hub, org, session_id)
    assert status == PENDING
    assert version_count(hub) == 1
    with hub.engine.connect() as conn:
        state = conn.execute(
            sa.select(upload_sessions.c.state).where(upload_sessions.c.id == session_id)
        ).scalar_one()
    assert state == COMMITTED


def test_production_moved_then_validate_again(hub: Hub, org: Organization) -> None:
    first = validated(hub, org)
    second = validated(hub, org)
    commit(hub, org, first)
    with pytest.raises(ProductionChangedError):
        commit(hub, org, second)
    upload_validation.run_validation(hub, org, second, committed_by="a@x.org", source="api")
    _, status, result = commit(hub, org, second)
    assert status == PENDING
    assert result.counts()["students.csv"]["added"] == 0


def test_the_change_detail_names_people_and_finds_them_by_name(hub: Hub, org: Organization) -> None:
    commit(hub, org, validated(hub, org))
    files = district()
    lines = files["students.csv"].decode().splitlines(keepends=True)
    # Diane Schmeler leaves; Martha Greenholt becomes Marta; a new student arrives
    header, diane, martha, *rest = lines
    marta = martha.replace(",Martha,", ",Marta,")
    new = diane.replace("738733110,738733110", "555000111,555000111").replace(
        "Schmeler,J,Diane", "Okafor,,Chidi"
    )
    files["students.csv"] = "".join([header, marta, new, *rest]).encode()
    session = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, session.id, [SourceFile.of(n, d) for n, d in files.items()])
    upload_validation.run_validation(hub, org, session.id, committed_by="a@x.org", source="api")
    upload_commit.changes(hub, org, session.id)

    page = upload_commit.change_page(hub, org, session.id, "students.csv")
    named = {(r["change"], r["key"]): r["name"] for r in page.rows}
    assert named[("added", "02M800 / 555000111")] == "Chidi Okafor"
    assert named[("removed", "02M800 / 738733110")] == "Diane Schmeler"
    assert named[("updated", "02M800 / 913113920")] == "Marta Greenholt"

    found = upload_commit.change_page(hub, org, session.id, "students.csv", search="schMELER")
    assert [(r["change"], r["name"]) for r in found.rows] == [("removed", "Diane Schmeler")]
    assert found.total == 1
    by_key = upload_commit.change_page(hub, org, session.id, "students.csv", search="555000")
    assert [r["name"] for r in by_key.rows] == ["Chidi Okafor"]
    schools = upload_commit.change_page(hub, org, session.id, "schools.csv")
    assert schools.total == 0  # unchanged files have no detail rows


def test_originals_are_kept_beside_the_validator_and_dropped_when_it_fails(
    hub: Hub, org: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The originals are written on a thread while the validator runs; a validation that
    raises (a bug, a disk gone) records no attempt and so keeps none of its files."""
    session_id = validated(hub, org, verify=False)
    kept = uploads.get(hub, org, session_id).data["originals"]
    assert sorted(k.rsplit("/", 1)[-1] for k in hub.blobs.keys(kept)) == sorted(district())
    students = hub.blobs.get(f"{kept}/students.csv").decode()
    assert "eel7Thohd" in district()["students.csv"].decode()  # a password as sent
    assert "eel7Thohd" not in students  # emptied in the copy kept for the history
    before = set(hub.blobs.keys("uploads/"))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the validator broke")

    monkeypatch.setattr(upload_validation, "validate", broken)
    session = uploads.start(hub, org, "passport-roster")
    files = [SourceFile.of(n, d) for n, d in district().items()]
    uploads.add_files(hub, org, session.id, files)
    with pytest.raises(RuntimeError):
        upload_validation.run_validation(hub, org, session.id, committed_by="a@x.org", source="api")
    assert set(hub.blobs.keys("uploads/")) == before
