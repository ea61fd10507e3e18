"""Test Connection: each step, and each kind of failure in plain words."""

from __future__ import annotations

import asyncssh
import pytest

from rosterport.remote import Credentials, Server
from rosterport.sftp.client import ConnectionReport, check_connection
from tests.sftp.conftest import REMOTE_PASSWORD, REMOTE_USER, Loop, Remote, free_port


def check(
    loop: Loop,
    port: int,
    *,
    host: str = "127.0.0.1",
    user: str = REMOTE_USER,
    password: str | None = REMOTE_PASSWORD,
    key: str | None = None,
    path: str = "",
    pinned: str | None = None,
) -> ConnectionReport:
    credentials = Credentials(password=None if key else password, private_key=key)
    return loop.run(check_connection(Server(host, port, user, credentials, pinned, path)))


def failure(report: ConnectionReport) -> tuple[str, str]:
    assert not report.ok
    [failed] = [s for s in report.steps if not s.ok]
    assert report.steps[-1] is failed  # the test stops at the first failure
    return failed.name, failed.message


def test_every_step_passes_with_the_fingerprint_to_confirm(loop: Loop, remote: Remote) -> None:
    remote.put("export", {"students.csv": b"x"})
    report = check(loop, remote.port, path="export")
    assert report.ok
    assert [s.name for s in report.steps] == [
        "reach the server",
        "host key",
        "sign in",
        "list the folder",
    ]
    assert report.fingerprint == remote.fingerprint
    assert report.fingerprint.startswith("SHA256:")
    assert "confirm this fingerprint" in report.steps[1].message
    assert report.entries == ["students.csv"]
    keyed = check(loop, remote.port, key=remote.client_key, pinned=remote.public_host_key)
    assert keyed.ok
    assert "matches the pinned key" in keyed.steps[1].message
    assert "forbidden" in keyed.entries


def test_unknown_host(loop: Loop) -> None:
    name, message = failure(check(loop, 22, host="no-such-host.invalid"))
    assert name == "reach the server"
    assert message.startswith("unknown host: no-such-host.invalid could not be found")


def test_refused(loop: Loop) -> None:
    port = free_port()
    name, message = failure(check(loop, port))
    assert name == "reach the server"
    assert message.startswith(f"refused: 127.0.0.1 does not accept connections on port {port}")


def test_wrong_password(loop: Loop, remote: Remote) -> None:
    report = check(loop, remote.port, password="not-it")
    assert report.fingerprint == remote.fingerprint  # shown even when signing in fails
    assert failure(report) == (
        "sign in",
        f"wrong password: the server refused user {REMOTE_USER} with this password; check the "
        "user name and password",
    )


def test_key_rejected(loop: Loop, remote: Remote) -> None:
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    name, message = failure(check(loop, remote.port, key=stranger))
    assert name == "sign in"
    assert message.startswith("key rejected: the server did not accept this key")


def test_unreadable_private_key(loop: Loop, remote: Remote) -> None:
    name, message = failure(check(loop, remote.port, key="ssh-ed25519 AAAA not a private key"))
    assert name == "sign in"
    assert message.startswith("the private key could not be read")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("missing", "path missing: missing does not exist on the server"),
        ("forbidden", "no permission: user may not list forbidden"),
    ],
)
def test_folder_problems(loop: Loop, remote: Remote, path: str, expected: str) -> None:
    name, message = failure(check(loop, remote.port, path=path))
    assert name == "list the folder"
    assert message.startswith(expected)


def test_a_pinned_key_that_no_longer_matches(loop: Loop, remote: Remote) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    report = check(loop, remote.port, pinned=other)
    assert report.key_changed
    name, message = failure(report)
    assert name == "host key"
    assert message.startswith(f"host key changed: the server now shows {remote.fingerprint}")
    assert [s.name for s in report.steps] == ["reach the server", "host key"]  # no sign-in
