"""Pulling from a custom SFTP server (an asyncssh server on loopback), with password and key."""

from __future__ import annotations

from functools import partial

from rosterport.bootstrap import settle
from rosterport.config import Settings
from rosterport.domain.version_status import IN_PRODUCTION
from rosterport.remote import Credentials
from rosterport.services import history
from rosterport.services import integrations as ints
from rosterport.services.hub import Hub
from rosterport.services.notifications import list_notifications
from rosterport.services.organizations import Organization
from rosterport.sftp import pull as p
from tests.conftest import district
from tests.sftp.conftest import REMOTE_PASSWORD, REMOTE_USER, Loop, Remote


def add_pull(
    hub: Hub, org: Organization, remote: Remote, *, key: bool = False, **settings: object
) -> ints.Integration:
    credentials = (
        Credentials(private_key=remote.client_key) if key else Credentials(password=REMOTE_PASSWORD)
    )
    return ints.add_pull(
        hub,
        org,
        name="district server",
        host="127.0.0.1",
        port=remote.port,
        username=REMOTE_USER,
        credentials=credentials,
        settings=ints.IntegrationSettings.from_json({"path": "export", **settings}),
    )


def pull(loop: Loop, hub: Hub, integration: ints.Integration) -> p.PullOutcome:
    fresh = ints.integration_by_id(hub, integration.id)
    return loop.run(pull_once_settled(hub, fresh))


async def pull_once_settled(hub: Hub, integration: ints.Integration) -> p.PullOutcome:
    return await p.pull_once(hub, integration, quiet_seconds=60, settle=partial(settle, hub))


def test_password_pull_commits_pins_the_key_and_moves_the_files(
    loop: Loop, hub: Hub, org: Organization, remote: Remote
) -> None:
    export = remote.put("export", district())
    integration = add_pull(hub, org, remote, after="move", move_to="done")
    outcome = pull(loop, hub, integration)
    assert outcome.status == p.PROCESSED, outcome.message
    assert outcome.result is not None
    assert outcome.result.status == IN_PRODUCTION
    assert outcome.result.committed_by == f"sftp:{REMOTE_USER}@127.0.0.1"
    pinned = ints.integration_by_id(hub, integration.id)
    assert pinned.host_key == remote.public_host_key  # trusted on first use
    assert pinned.last_pull_at is not None
    assert sorted(f.name for f in export.iterdir()) == ["done"]
    assert sorted(f.name for f in (export / "done").iterdir()) == sorted(district())
    assert pull(loop, hub, integration).status == p.NO_CHANGES


def test_key_pull_takes_only_changed_files(
    loop: Loop, hub: Hub, org: Organization, remote: Remote
) -> None:
    export = remote.put("export", district())
    integration = add_pull(hub, org, remote, key=True)  # files kept on the server
    first = pull(loop, hub, integration)
    assert first.result is not None
    assert first.result.status == IN_PRODUCTION
    assert pull(loop, hub, integration).status == p.NO_CHANGES
    remote.put("export", {"students.csv": district()["students.csv"]}, age=300)  # touched only
    assert pull(loop, hub, integration).status == p.NO_CHANGES
    changed = district("student-spaces-and-case")
    remote.put("export", {"students.csv": changed["students.csv"]}, age=200)
    second = pull(loop, hub, integration)
    assert second.status == p.PROCESSED
    assert second.result is not None
    assert second.result.version != first.result.version
    assert sorted(f.name for f in export.iterdir()) == sorted(district())


def test_files_still_being_written_or_incomplete_sets_wait(
    loop: Loop, hub: Hub, org: Organization, remote: Remote
) -> None:
    files = district()
    students = files.pop("students.csv")
    remote.put("export", files)
    integration = add_pull(hub, org, remote, after="delete")
    assert pull(loop, hub, integration).status == p.INCOMPLETE
    remote.put("export", {"students.csv": students}, age=0)  # just written
    assert pull(loop, hub, integration).status == p.WAITING
    remote.put("export", {"students.csv": students}, age=120)
    outcome = pull(loop, hub, integration)
    assert outcome.status == p.PROCESSED
    assert outcome.result is not None
    assert outcome.result.status == IN_PRODUCTION
    assert list((remote.root / "export").iterdir()) == []  # deleted after processing


def test_a_changed_host_key_stops_the_pull(
    loop: Loop, hub: Hub, org: Organization, remote: Remote
) -> None:
    remote.put("export", district())
    integration = add_pull(hub, org, remote)
    ints.pin_host_key(
        hub,
        integration,
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKNRR5uC6ncJtiOSpdvHS5gF7SbldGFmudYRYzbXoc9P",
    )
    outcome = pull(loop, hub, integration)
    assert outcome.status == p.FAILED
    assert "host key changed" in outcome.message
    assert "host key changed" in list_notifications(hub, org)[0].message


def test_a_wrong_password_is_notified(
    loop: Loop, hub: Hub, org: Organization, remote: Remote
) -> None:
    integration = add_pull(hub, org, remote)
    ints.update_integration(hub, integration, credentials=Credentials(password="wrong-pw"))
    outcome = pull(loop, hub, integration)
    assert outcome.status == p.FAILED
    assert "wrong password" in outcome.message
    assert ints.integration_by_id(hub, integration.id).host_key is None  # never signed in


def test_the_runtime_runs_due_pulls_without_a_hosted_server(
    loop: Loop, hub: Hub, org: Organization, remote: Remote, settings: Settings
) -> None:
    from rosterport.sftp.runtime import SftpRuntime

    remote.put("export", district())
    add_pull(hub, org, remote, interval_minutes=60)
    runtime = SftpRuntime(hub, settings, host="127.0.0.1", port=0)  # 0: hosted server off
    loop.run(runtime.run_round())
    assert runtime.port == 0
    [row] = history.history(hub, org, "passport-roster")
    assert (row.committed_by, row.status) == (f"sftp:{REMOTE_USER}@127.0.0.1", IN_PRODUCTION)
    loop.run(runtime.run_round())  # not due again for an hour
    assert len(history.history(hub, org, "passport-roster")) == 1
