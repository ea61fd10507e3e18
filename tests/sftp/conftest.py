"""SFTP test helpers: a data dir with an organization, a hub whose clock the test can move
forward, the runtime on a free port in a background event loop, key pairs from ssh-keygen,
and the OpenSSH `sftp` client."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
import pytest

from rosterport.bootstrap import build_hub
from rosterport.clock import system_clock
from rosterport.config import Settings
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org
from rosterport.sftp.runtime import SftpRuntime

T = TypeVar("T")

needs_openssh = pytest.mark.skipif(
    shutil.which("sftp") is None or shutil.which("ssh-keygen") is None,
    reason="the OpenSSH client (sftp, ssh-keygen) is not installed",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Callable[[], T], timeout: float = 30.0, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Loop:
    """An event loop in a background thread (the SSH server serves while tests block)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[T], timeout: float = 60) -> T:
        async def wrapped() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    return Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'rosterport.db'}",
        sftp_quiet_seconds=1,
        sftp_poll_seconds=1,
        sftp_max_upload_mb=1,
        smtp_host=None,
    )


class MovedClock:
    """The machine's time plus `ahead`, which the test moves (`clock.ahead += timedelta(days=8)`):
    file times stay comparable with the clock, and waits that last days take no time."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return system_clock() + self.ahead


@pytest.fixture
def clock() -> MovedClock:
    return MovedClock()


@pytest.fixture
def hub(settings: Settings, clock: MovedClock) -> Hub:
    return build_hub(settings, clock=clock)


@pytest.fixture
def org(hub: Hub) -> Organization:
    return create_org(hub, "springfield", "Springfield USD")


RuntimeFactory = Callable[..., SftpRuntime]


@pytest.fixture
def serve(hub: Hub, settings: Settings) -> Iterator[RuntimeFactory]:
    """`serve(**setting overrides)` starts an SftpRuntime on a free port; stopped after."""
    loop = Loop()
    started: list[SftpRuntime] = []

    def start(**overrides: Any) -> SftpRuntime:
        runtime = SftpRuntime(
            hub, settings.model_copy(update=overrides), host="127.0.0.1", port=free_port()
        )
        loop.run(runtime.start())
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        loop.run(runtime.stop())
    loop.close()


@pytest.fixture
def keypair(tmp_path: Path) -> tuple[Path, str]:
    """(private key file, public key line) from ssh-keygen."""
    path = tmp_path / "keys" / "id_ed25519"
    path.parent.mkdir()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sis@district", "-f", str(path)],
        check=True,
        timeout=30,
    )
    return path, path.with_suffix(".pub").read_text()


def sftp_command(
    port: int,
    login: str,
    commands: list[str],
    *,
    workdir: Path,
    key: Path | None = None,
    password: str | None = None,
    options: tuple[str, ...] = (),
) -> tuple[list[str], dict[str, str]]:
    """The OpenSSH sftp command line (batch mode) and its environment."""
    batch = workdir / ".batch"
    batch.write_text("\n".join(commands) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSH_")}
    given = [
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR",
        "-o", "BatchMode=no",  # before -b, which would turn password prompts off
        "-o", "NumberOfPasswordPrompts=1",
        "-F", "/dev/null",
        *options,
    ]  # fmt: skip
    if key is not None:
        given += ["-i", str(key), "-o", "IdentitiesOnly=yes"]
        given += ["-o", "PreferredAuthentications=publickey"]
    if password is not None:
        askpass = workdir / ".askpass"
        askpass.write_text(f"#!/bin/sh\necho '{password}'\n")
        askpass.chmod(0o700)
        env.update(SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
        given += ["-o", "PreferredAuthentications=password,keyboard-interactive"]
        given += ["-o", "PubkeyAuthentication=no"]
    return ["sftp", *given, "-b", str(batch), "-P", str(port), f"{login}@127.0.0.1"], env


def sftp(
    port: int,
    login: str,
    commands: list[str],
    *,
    workdir: Path,
    key: Path | None = None,
    password: str | None = None,
    options: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run the OpenSSH sftp client in batch mode (a failing command fails the run);
    `options` come first, so they win over the helper's own `-o` options."""
    command, env = sftp_command(
        port, login, commands, workdir=workdir, key=key, password=password, options=options
    )
    return subprocess.run(
        command,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- a custom SFTP server (the district's), an asyncssh server on loopback -----------------

REMOTE_USER, REMOTE_PASSWORD = "rosterport", "district-pass-1"


class LoopbackAuth(asyncssh.SSHServer):
    """Sign-in to a test's asyncssh server: `user` with `password`, or with a key of
    `keys` (authorized_keys text)."""

    def __init__(self, keys: str, user: str = REMOTE_USER, password: str = REMOTE_PASSWORD) -> None:
        self._keys = keys
        self._user, self._password = user, password
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

    def begin_auth(self, username: str) -> bool:
        if username == self._user and self._conn is not None:
            self._conn.set_authorized_keys(asyncssh.import_authorized_keys(self._keys))
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == (self._user, self._password)


class _RemoteFiles(asyncssh.SFTPServer):
    """The district's files; the folder `forbidden` may not be listed."""

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        if path.rstrip(b"/").endswith(b"forbidden"):
            raise asyncssh.SFTPPermissionDenied("Permission denied")
        async for name in super().scandir(path):
            yield name


class Remote:
    """A running custom server: its files under `root`, the key it accepts, its host key."""

    def __init__(self, root: Path, loop: Loop) -> None:
        self.root = root
        self.loop = loop
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
        public = asyncssh.import_private_key(self.client_key).export_public_key().decode()
        self.port = free_port()
        self.acceptor = loop.run(
            asyncssh.listen(
                "127.0.0.1",
                self.port,
                server_host_keys=[self.host_key],
                server_factory=lambda: LoopbackAuth(public),
                sftp_factory=lambda chan: _RemoteFiles(chan, chroot=os.fsencode(root)),
            )
        )

    @property
    def fingerprint(self) -> str:
        return str(self.host_key.get_fingerprint("sha256"))

    @property
    def public_host_key(self) -> str:
        return self.host_key.export_public_key().decode().strip()

    def put(self, folder: str, files: dict[str, bytes], *, age: float = 600) -> Path:
        """Files in `root/folder`, last modified `age` seconds ago."""
        target = self.root / folder
        target.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (target / name).write_bytes(data)
            stamp = time.time() - age
            os.utime(target / name, (stamp, stamp))
        return target


@pytest.fixture
def loop() -> Iterator[Loop]:
    running = Loop()
    yield running
    running.close()


@pytest.fixture
def remote(tmp_path: Path, loop: Loop) -> Iterator[Remote]:
    root = tmp_path / "remote"
    root.mkdir()
    (root / "forbidden").mkdir()
    server = Remote(root, loop)
    yield server

    async def close() -> None:  # on the loop's own thread
        server.acceptor.close()
        await server.acceptor.wait_closed()

    loop.run(close())
