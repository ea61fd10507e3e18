"""What `rosterport serve` runs for SFTP: the hosted server and the scheduler.

The scheduler wakes every `sftp_poll_seconds` (and at once when a ZIP is closed): it
processes the drops that are ready in hosted accounts, runs the pulls that are due and, every
so often, flags feeds that went quiet for `feed_stale_days` and tidies the hosted accounts'
folders (`drops.tidy`, hourly on the injected clock: modes put back, what no drop takes
removed after `drops.RETENTION`; an account with an upload in progress waits for the next
time). Processing (validation and commit of up to millions of rows) is synchronous and runs
in a worker thread, one delivery at a time, so the SSH server keeps serving meanwhile. A
failure in one round is logged and the next round runs as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import asyncssh

from rosterport.bootstrap import build_worker
from rosterport.clock import monotonic
from rosterport.config import Settings
from rosterport.services.deliveries import flag_stale_feeds
from rosterport.services.hub import Hub
from rosterport.services.integrations import HOSTED, PULL, list_integrations, pull_due
from rosterport.services.notifications import Mailer, SmtpMailer
from rosterport.services.versions import status as version_status
from rosterport.sftp.drops import (
    RETENTION,
    DropActivity,
    account_folder,
    process_drop,
    ready_drops,
    tidy,
)
from rosterport.sftp.pull import pull_once
from rosterport.sftp.server import listen

log = logging.getLogger(__name__)

STALE_CHECK_SECONDS = 600  # how often feeds are checked for staleness
TIDY_EVERY = timedelta(hours=1)  # how often (on the injected clock) folders are tidied


def settle(hub: Hub, version: int) -> str:
    """Run the queued jobs in-process (embedded mode) and return the version's status.
    Draining next to the web server's worker is harmless: jobs are claimed with leases."""
    build_worker(hub, name="sftp").drain()
    return version_status(hub, version)


class SftpRuntime:
    """The hosted SFTP server (unless `port` is 0) and the scheduler task.

    Tests that want the hosted server pass an explicit free port: `port=0` means "off",
    as `serve --sftp-port 0` does, not "any port".
    """

    def __init__(self, hub: Hub, settings: Settings, *, host: str, port: int) -> None:
        self.hub = hub
        self.settings = settings
        self.host = host
        self._port = port
        self._wake = asyncio.Event()
        self.activity = DropActivity(wake=self._wake.set)
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_stale_check = 0.0
        self._last_tidy: datetime | None = None
        self.mailer: Mailer | None = SmtpMailer(settings) if settings.smtp_host else None

    @property
    def port(self) -> int:
        """The port the hosted server listens on (0 when it is off)."""
        if self._acceptor is not None:
            return int(self._acceptor.get_port())
        return self._port

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    async def start(self) -> None:
        self._wake = asyncio.Event()  # bound to the running loop
        self.activity = DropActivity(wake=self._wake.set)
        if self._port:
            self._acceptor = await listen(
                self.hub,
                host=self.host,
                port=self._port,
                data_dir=self.data_dir,
                max_bytes=self.settings.sftp_max_upload_mb * 2**20,
                quota_bytes=self.settings.sftp_quota_mb * 2**20,
                login_attempts=self.settings.login_attempts,
                activity=self.activity,
            )
            log.info("SFTP server listening on %s:%s", self.host, self.port)
        self._stopping = False
        self._task = asyncio.create_task(self._schedule(), name="rosterport-sftp-scheduler")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _schedule(self) -> None:
        while not self._stopping:
            try:
                await self.run_round()
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad round must not stop the scheduler: logged, retried
                log.exception("SFTP scheduler round failed; trying again at the next round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.sftp_poll_seconds)
            self._wake.clear()

    async def run_round(self) -> None:
        """One round: ready drops, due pulls, stale feeds, tidy folders."""
        await self.process_drops()
        await self.run_pulls()
        await self.tidy_folders()
        if monotonic() - self._last_stale_check >= STALE_CHECK_SECONDS:
            self._last_stale_check = monotonic()
            await asyncio.to_thread(
                flag_stale_feeds, self.hub, self.settings.feed_stale_days, mailer=self.mailer
            )

    async def process_drops(self) -> None:
        hosted = await asyncio.to_thread(list_integrations, self.hub, kind=HOSTED)
        for integration in hosted:
            if not integration.enabled or not integration.login:
                continue
            login = integration.login
            folder = account_folder(self.data_dir, login)
            ready = await asyncio.to_thread(
                ready_drops,
                self.hub,
                integration,
                folder,
                quiet_seconds=self.settings.sftp_quiet_seconds,
                now=self.hub.clock().timestamp(),
                closed_zips=self.activity.closed_zips(login),
                busy=self.activity.busy(login),
            )
            for paths in ready:
                result = await asyncio.to_thread(
                    process_drop,
                    self.hub,
                    integration,
                    folder,
                    paths,
                    settle=partial(settle, self.hub),
                    mailer=self.mailer,
                )
                log.info("SFTP %s: %s", login, result.sentence(integration))

    async def tidy_folders(self) -> None:
        """Every `TIDY_EVERY`: `drops.tidy` on each hosted account with no upload open."""
        now = self.hub.clock()
        if self._last_tidy is not None and now - self._last_tidy < TIDY_EVERY:
            return
        self._last_tidy = now
        hosted = await asyncio.to_thread(list_integrations, self.hub, kind=HOSTED)
        for integration in hosted:
            login = integration.login
            if not login or self.activity.busy(login):
                continue
            folder = account_folder(self.data_dir, login)
            for path in await asyncio.to_thread(tidy, integration, folder, now=now):
                log.info(
                    "SFTP %s: removed %s: no delivery takes it and it did not change for %d days",
                    login,
                    path.relative_to(folder),
                    RETENTION.days,
                )

    async def run_pulls(self) -> None:
        pulls = await asyncio.to_thread(list_integrations, self.hub, kind=PULL)
        for integration in pulls:
            if not pull_due(self.hub, integration):
                continue
            outcome = await pull_once(
                self.hub,
                integration,
                quiet_seconds=self.settings.sftp_quiet_seconds,
                settle=partial(settle, self.hub),
                mailer=self.mailer,
            )
            log.info("SFTP pull %s: %s %s", integration.id, outcome.status, outcome.message)
