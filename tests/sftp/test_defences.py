"""Attacks on the hosted SFTP server, performed with the real OpenSSH `sftp` client (or an
asyncssh client over loopback), and the defences of `sftp/signin.py` and `sftp/jail.py` that
stop them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import statistics
import subprocess
import time
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path

import asyncssh
import pytest
import sqlalchemy as sa

from rosterport.services import hosted_accounts
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.sftp.drops import account_folder, ready_drops
from rosterport.store.tables import login_failures
from tests.conftest import district
from tests.sftp.conftest import (
    MovedClock,
    RuntimeFactory,
    needs_openssh,
    sftp,
    sftp_command,
    wait_for,
)
from tests.sftp.test_server import PASSWORD, in_production, results, version_rows, workdir

pytestmark = needs_openssh

LOGIN = "springfield-sis"
HIDDEN = ".students.csv.part-0123456789abcdef"  # how the server names an upload in progress


def everything_in(folder: Path) -> list[str]:
    """Every name in the folder, hidden ones included (results/ aside)."""
    return sorted(p.name for p in folder.iterdir() if p.name != "results")


def rest_of_district() -> dict[str, bytes]:
    return {n: d for n, d in district().items() if n != "students.csv"}


async def connect(
    port: int, *, key: Path | None = None, password: str | None = None, login: str = LOGIN
) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect(
        "127.0.0.1",
        port,
        username=login,
        known_hosts=None,
        agent_path=None,
        client_keys=[str(key)] if key is not None else [],
        password=password,
        preferred_auth="publickey" if key is not None else "password",
    )


# -- 1. a refused or interrupted upload is never processed -------------------------------------


def test_an_upload_refused_for_size_is_discarded_not_processed(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path, keypair: tuple[Path, str]
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login=LOGIN, public_keys=public)
    runtime = serve()  # sftp_max_upload_mb=1
    students = district()["students.csv"]
    too_big = students + students.split(b"\n", 1)[1] * (2 * 2**20 // len(students))
    upload = workdir(tmp_path, rest_of_district())
    (upload / "big").mkdir()
    (upload / "big" / "students.csv").write_bytes(too_big)  # 2 MB of real rows
    first = sftp(runtime.port, LOGIN, ["put *.csv"], workdir=upload, key=key)
    assert first.returncode == 0, first.stderr
    refused = sftp(runtime.port, LOGIN, ["put big/students.csv"], workdir=upload, key=key)
    assert refused.returncode != 0
    assert 'write remote "/students.csv": Failure' in refused.stderr
    folder = account_folder(runtime.data_dir, LOGIN)
    assert everything_in(folder) == sorted(rest_of_district())  # no partial, hidden or not
    time.sleep(3)  # quiet period (1 s) and scheduler rounds (1 s) pass: nothing to process
    assert version_rows(hub) == []
    assert results(folder) == []
    # the whole file, once it fits, completes the set as usual
    (upload / "students.csv").write_bytes(students)
    done = sftp(runtime.port, LOGIN, ["put students.csv"], workdir=upload, key=key)
    assert done.returncode == 0, done.stderr
    wait_for(lambda: in_production(hub), what="the complete set to be processed")
    [result] = wait_for(lambda: results(folder), what="the result")
    assert result["changes"]["students.csv"]["added"] == 5
    assert result["changes"]["students.csv"]["removed"] == 0


@pytest.mark.parametrize("kill", ["sftp", "sftp and ssh"])
def test_a_client_killed_mid_upload_leaves_nothing_to_process(
    hub: Hub,
    org: Organization,
    serve: RuntimeFactory,
    *,
    tmp_path: Path,
    keypair: tuple[Path, str],
    kill: str,
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login=LOGIN, public_keys=public)
    runtime = serve(sftp_max_upload_mb=64)
    folder = account_folder(runtime.data_dir, LOGIN)
    students = district()["students.csv"]
    upload = workdir(tmp_path, rest_of_district())
    assert sftp(runtime.port, LOGIN, ["put *.csv"], workdir=upload, key=key).returncode == 0
    (upload / "students.csv").write_bytes(students + b"x" * (8 * 2**20))
    command, env = sftp_command(
        runtime.port,
        LOGIN,
        ["put students.csv"],
        workdir=upload,
        key=key,
        options=("-l", "2000"),  # 2000 kbit/s: the upload takes half a minute
    )
    client = subprocess.Popen(
        command,
        cwd=upload,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def writing() -> bool:
            hidden = [p for p in folder.iterdir() if p.name.startswith(".students.csv.part-")]
            return bool(hidden) and hidden[0].stat().st_size > 64 * 1024

        wait_for(writing, what="the upload to be under way")
        assert everything_in(folder)[0].startswith(".students.csv.part-")
        assert not (folder / "students.csv").exists()  # nothing visible while it is written
        if kill == "sftp":  # its ssh process sees the end of input and ends the session
            client.send_signal(signal.SIGKILL)
        else:  # the connection drops
            os.killpg(client.pid, signal.SIGKILL)
        client.wait(10)
        wait_for(lambda: everything_in(folder) == sorted(rest_of_district()), what="cleanup")
    finally:
        if client.poll() is None:
            os.killpg(client.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(client.pid, signal.SIGKILL)  # the ssh process, if it is still there
    time.sleep(3)  # quiet period and scheduler rounds pass: nothing to process
    assert version_rows(hub) == []
    assert results(folder) == []
    assert not runtime.activity.busy(LOGIN)  # the next delivery is not held up
    (upload / "students.csv").write_bytes(students)
    assert sftp(runtime.port, LOGIN, ["put students.csv"], workdir=upload, key=key).returncode == 0
    wait_for(lambda: in_production(hub), what="the complete set to be processed")


def test_ready_drops_never_take_hidden_or_partial_files(
    hub: Hub, org: Organization, tmp_path: Path
) -> None:
    account = hosted_accounts.add_hosted_account(hub, org, login=LOGIN, password=PASSWORD)
    folder = tmp_path / "drop"
    folder.mkdir()
    for name, data in district().items():
        path = folder / (HIDDEN if name == "students.csv" else name)
        path.write_bytes(data)
        os.utime(path, (0, 0))  # quiet for ages

    def ready() -> list[list[Path]]:
        return ready_drops(
            hub,
            account,
            folder,
            quiet_seconds=1,
            now=hub.clock().timestamp(),
            closed_zips={HIDDEN},
            busy=False,
        )

    assert ready() == []
    (folder / HIDDEN).rename(folder / "students.csv")
    assert [len(drop) for drop in ready()] == [len(district())]


# -- 2. permissions, owner and group cannot be changed -----------------------------------------


def test_permission_changes_are_refused_and_modes_stay_private(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path, keypair: tuple[Path, str]
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login=LOGIN, public_keys=public)
    runtime = serve()
    folder = account_folder(runtime.data_dir, LOGIN)
    upload = workdir(tmp_path, {})
    done = sftp(runtime.port, LOGIN, ["put /bin/true x", "mkdir d"], workdir=upload, key=key)
    assert done.returncode == 0, done.stderr
    attacks = {
        "chmod 777 /": 'remote setstat "/"',
        "chmod 4755 x": 'remote setstat "/x"',
        "chmod -h 4755 x": 'remote lsetstat "/x"',
        "chown 0 x": 'remote setstat "/x"',
        "chgrp 0 x": 'remote setstat "/x"',
        "chmod 777 d": 'remote setstat "/d"',
    }
    for command, refusal in attacks.items():
        done = sftp(runtime.port, LOGIN, [command], workdir=upload, key=key)
        assert done.returncode != 0, command
        assert f"{refusal}: Permission denied" in done.stderr, (command, done.stderr)
    # put -p asks for the local file's mode (0755) once written: refused, the file is stored
    done = sftp(runtime.port, LOGIN, ["put -p /bin/true y"], workdir=upload, key=key)
    assert "remote fsetstat: Permission denied" in done.stderr
    assert Path("/bin/true").stat().st_mode & 0o7777 == 0o755  # what the client asked for
    for name in ("x", "y"):
        assert (folder / name).stat().st_mode & 0o7777 == 0o600, name
        assert (folder / name).stat().st_uid == os.getuid()
    assert (folder / "d").stat().st_mode & 0o7777 == 0o700
    assert folder.stat().st_mode & 0o7777 == 0o700
    assert folder.parent.stat().st_mode & 0o7777 == 0o700


def test_refusals_tell_the_client_what_and_how(
    hub: Hub, org: Organization, serve: RuntimeFactory, keypair: tuple[Path, str]
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login=LOGIN, public_keys=public)
    runtime = serve(sftp_quota_mb=1)  # and sftp_max_upload_mb=1
    folder = account_folder(runtime.data_dir, LOGIN)
    reasons: dict[str, str] = {}

    async def attempt(what: str, action: Awaitable[object]) -> None:
        try:
            await action
        except asyncssh.SFTPError as error:
            reasons[what] = str(error.reason)
        else:
            raise AssertionError(f"{what} was allowed")

    async def session(version: int) -> None:
        async with await connect(runtime.port, key=key) as conn:
            client = await conn.start_sftp_client(sftp_version=version)

            async def put(name: str, size: int) -> None:
                async with client.open(name, "wb") as file:
                    await file.write(b"x" * size)

            await put(f"small-v{version}.csv", 1000)
            await client.utime(f"small-v{version}.csv", (1000, 2000))  # times are harmless
            await attempt(f"too large v{version}", put(f"big-v{version}.csv", 2 * 2**20))
            await attempt("chmod", client.chmod(f"small-v{version}.csv", 0o4755))
            await attempt("chown", client.chown(f"small-v{version}.csv", 0, 0))
            await attempt("truncate", client.truncate(f"small-v{version}.csv", 10))
            await attempt("hidden name", put(HIDDEN, 10))
            await put(f"most-v{version}.csv", 600 * 1024)
            await attempt(f"full v{version}", put(f"more-v{version}.csv", 600 * 1024))
            await client.remove(f"most-v{version}.csv")

    asyncio.run(session(3))
    asyncio.run(session(6))  # SFTP v6 opens files another way (open56)
    assert reasons["too large v3"].startswith("file too large: uploads are limited to 1 MB")
    assert reasons["too large v6"] == reasons["too large v3"]
    assert reasons["chmod"].startswith("permission changes are not allowed here")
    assert reasons["chown"] == reasons["chmod"]
    assert reasons["truncate"].startswith("changing the size of a file is not allowed here")
    assert "name of an upload in progress" in reasons["hidden name"]
    assert reasons["full v3"].startswith("your folder is full: it may hold 1 MB in all")
    assert reasons["full v6"] == reasons["full v3"]
    for reason in reasons.values():
        assert "Errno" not in reason
        assert "Traceback" not in reason
        assert str(folder) not in reason
    assert everything_in(folder) == ["small-v3.csv", "small-v6.csv"]
    for name in everything_in(folder):
        assert (folder / name).stat().st_mode & 0o7777 == 0o600
        assert (folder / name).stat().st_mtime == 2000


# -- 3. password guessing is limited -----------------------------------------------------------


def test_password_guessing_is_locked_out_until_the_window_has_passed(
    hub: Hub,
    org: Organization,
    serve: RuntimeFactory,
    *,
    tmp_path: Path,
    keypair: tuple[Path, str],
    clock: MovedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login=LOGIN, password=PASSWORD, public_keys=public)
    hosted_accounts.add_hosted_account(hub, org, login="other-sis", password="other-password-1")
    runtime = serve(login_attempts=3)
    caplog.set_level(logging.WARNING, logger="rosterport.sftp.signin")
    upload = workdir(tmp_path, {})
    only_password = ("-o", "PreferredAuthentications=password")  # one attempt per run

    def sign_in(
        login: str, password: str, address: str = "127.0.0.1"
    ) -> subprocess.CompletedProcess[str]:
        return sftp(
            runtime.port,
            login,
            ["ls"],
            workdir=upload,
            password=password,
            options=(*only_password, "-o", f"BindAddress={address}"),
        )

    guesses = [f"guess-number-{n}" for n in range(4)]  # N + 1 wrong passwords
    for guess in guesses:
        done = sign_in(LOGIN, guess)
        assert done.returncode != 0
        assert "Permission denied" in done.stderr
    for login, password, address in (
        (LOGIN, PASSWORD, "127.0.0.1"),  # the right password, locked out
        (LOGIN, PASSWORD, "127.0.0.2"),  # the user name is locked, from anywhere
        ("other-sis", "other-password-1", "127.0.0.1"),  # the address is locked, for anyone
    ):
        done = sign_in(login, password, address)
        assert done.returncode != 0, (login, address)
        assert "Permission denied" in done.stderr
    # keys cannot be guessed: they still sign in, so guessing does not shut an account out
    assert sftp(runtime.port, LOGIN, ["ls"], workdir=upload, key=key).returncode == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "rosterport.sftp.signin"]
    failed = [m for m in messages if m.startswith("SFTP sign-in failed")]
    refused = [m for m in messages if m.startswith("SFTP sign-in refused")]
    assert len(failed) == 3
    assert len(refused) == 4
    assert all(f"user '{LOGIN}' from 127.0.0.1" in m for m in failed)
    assert f"user '{LOGIN}' from 127.0.0.2" in refused[2]
    for message in messages:
        assert PASSWORD not in message
        assert not any(guess in message for guess in guesses)
    clock.ahead += timedelta(minutes=16)  # the window has passed
    done = sign_in(LOGIN, PASSWORD)
    assert done.returncode == 0, done.stderr


def test_concurrent_guesses_are_counted_before_any_is_checked(
    hub: Hub, org: Organization, serve: RuntimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    hosted_accounts.add_hosted_account(hub, org, login=LOGIN, password=PASSWORD)
    runtime = serve(login_attempts=3)
    caplog.set_level(logging.WARNING, logger="rosterport.sftp.signin")

    async def guess(n: int) -> None:
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(runtime.port, password=f"concurrent-guess-{n}")

    async def guesses() -> None:
        await asyncio.gather(*(guess(n) for n in range(12)))

    asyncio.run(guesses())
    messages = [r.getMessage() for r in caplog.records if r.name == "rosterport.sftp.signin"]
    checked = [m for m in messages if m.startswith("SFTP sign-in failed")]
    refused = [m for m in messages if m.startswith("SFTP sign-in refused")]
    assert len(checked) + len(refused) == 12  # every guess went through the limit
    assert len(checked) <= 3  # and at most 3 passwords were checked
    with hub.engine.connect() as conn:
        kept = conn.execute(
            sa.select(sa.func.count()).where(login_failures.c.email == f"sftp:{LOGIN}")
        ).scalar()
    assert kept == len(checked)


# -- 4. timing does not tell which user names exist --------------------------------------------


def test_an_unknown_user_takes_as_long_as_a_wrong_password(
    hub: Hub, org: Organization, serve: RuntimeFactory
) -> None:
    hosted_accounts.add_hosted_account(hub, org, login=LOGIN, password=PASSWORD)
    runtime = serve(login_attempts=10_000)

    async def attempt(login: str) -> float:
        start = time.perf_counter()
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(runtime.port, login=login, password="not-the-password")
        return time.perf_counter() - start

    async def medians() -> tuple[float, float]:
        await attempt("nobody")  # the first unknown user makes the stand-in hash
        known, unknown = [], []
        for _ in range(7):  # interleaved, so that load on the machine hits both alike
            known.append(await attempt(LOGIN))
            unknown.append(await attempt("nobody-here"))
        return statistics.median(known), statistics.median(unknown)

    known, unknown = asyncio.run(medians())
    assert 0.5 <= unknown / known <= 2.0, (known, unknown)


# -- 5. a quota per account, and nothing stays forever -----------------------------------------


def test_writes_past_the_folder_quota_are_refused(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path, keypair: tuple[Path, str]
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login=LOGIN, public_keys=public)
    runtime = serve(sftp_quota_mb=1)  # files may have up to 1 MB each too
    folder = account_folder(runtime.data_dir, LOGIN)
    upload = workdir(tmp_path, {"a.csv": b"a" * 600 * 1024, "b.csv": b"b" * 600 * 1024})
    assert sftp(runtime.port, LOGIN, ["put a.csv"], workdir=upload, key=key).returncode == 0
    refused = sftp(runtime.port, LOGIN, ["put b.csv"], workdir=upload, key=key)
    assert refused.returncode != 0
    assert 'write remote "/b.csv": Failure' in refused.stderr
    assert everything_in(folder) == ["a.csv"]
    assert (folder / "a.csv").read_bytes() == (upload / "a.csv").read_bytes()
    done = sftp(runtime.port, LOGIN, ["rm a.csv", "put b.csv"], workdir=upload, key=key)
    assert done.returncode == 0, done.stderr
    assert everything_in(folder) == ["b.csv"]


def test_files_no_delivery_takes_are_removed_after_the_retention_period(
    hub: Hub,
    org: Organization,
    serve: RuntimeFactory,
    *,
    tmp_path: Path,
    keypair: tuple[Path, str],
    clock: MovedClock,
) -> None:
    key, public = keypair
    hosted_accounts.add_hosted_account(hub, org, login=LOGIN, public_keys=public)
    runtime = serve()
    folder = account_folder(runtime.data_dir, LOGIN)
    upload = workdir(tmp_path, {"notes.txt": b"n", "x.csv": b"x", "schools.csv": b"s"})
    done = sftp(
        runtime.port,
        LOGIN,
        ["put notes.txt", "mkdir sub", "put x.csv sub/x.csv", "put schools.csv"],
        workdir=upload,
        key=key,
    )
    assert done.returncode == 0, done.stderr
    # what a crash, an old result and an older version of the server left behind
    (folder / HIDDEN).write_bytes(b"half a file")
    (folder / "results").mkdir()
    (folder / "results" / "20250101T000000Z-0123abcd.json").write_text("{}")
    (folder / "schools.csv").chmod(0o4755)
    folder.chmod(0o755)

    clock.ahead = timedelta(days=6)  # not old enough yet
    wait_for(lambda: (folder / "schools.csv").stat().st_mode & 0o7777 == 0o600, what="tidy")
    assert folder.stat().st_mode & 0o7777 == 0o700
    assert everything_in(folder) == sorted([HIDDEN, "notes.txt", "schools.csv", "sub"])
    assert (folder / "sub" / "x.csv").exists()

    clock.ahead = timedelta(days=8)
    wait_for(lambda: not (folder / "notes.txt").exists(), what="the stray files to go")
    assert everything_in(folder) == ["schools.csv"]  # a file of the model waits for the rest
    assert not (folder / "results").exists()  # emptied, and as old: gone too
    assert version_rows(hub) == []
