"""What `rosterport serve` runs for SFTP: the hosted server and the scheduler.

The scheduler wakes every `sftp_poll_seconds` (and at once when a ZIP is closed). Each round
it hands over the drops that are ready in this data dir's hosted account folders (to blob
storage and an `sftp-drop` job each: `drops.hand_over_drop`), queues the pulls that are due
(`sftp_pulls.schedule_due`, one `sftp-pull` job each, whichever `serve` process sees them
first), writes back the results of processed drops into the accounts' `results/`, and, every
so often, flags feeds that went quiet for `feed_stale_days` and tidies the hosted accounts'
folders (`drops.tidy`, hourly on the injected clock: modes put back, what no drop takes
removed after `drops.RETENTION`; an account with an upload in progress waits for the next
time). The jobs run in any worker: with `embedded_worker` (the default, one process on
SQLite) the round runs them itself, in a worker thread, so the SSH server keeps serving
meanwhile. A failure in one round is logged and the next round runs as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

import asyncssh

from rosterport.bootstrap import build_worker
from rosterport.clock import monotonic
from rosterport.config import Settings
from rosterport.services.deliveries import flag_stale_feeds
from rosterport.services.hub import Hub
from rosterport.services.integrations import HOSTED, list_integrations
from rosterport.services.sftp_pulls import schedule_due
from rosterport.sftp.drops import (
    RETENTION,
    DropActivity,
    account_folder,
    hand_over_drop,
    ready_drops,
    recover_handovers,
    tidy,
    write_answers,
)
from rosterport.sftp.server import listen

log = logging.getLogger(__name__)

STALE_CHECK_SECONDS = 600  # how often feeds are checked for staleness
TIDY_EVERY = timedelta(hours=1)  # how often (on the injected clock) folders are tidied


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
        """One round: hand-overs a killed process left, ready drops, due pulls, the jobs (when
        embedded), results back to the accounts, stale feeds, tidy folders."""
        await asyncio.to_thread(recover_handovers, self.hub, self.data_dir, now=self.hub.clock())
        await self.hand_over_drops()
        await asyncio.to_thread(
            schedule_due, self.hub, quiet_seconds=self.settings.sftp_quiet_seconds
        )
        if self.settings.embedded_worker:
            await asyncio.to_thread(build_worker(self.hub, name=f"sftp:{os.getpid()}").drain)
        for path in await asyncio.to_thread(write_answers, self.hub, self.data_dir):
            log.info("SFTP %s: result written", path.parent.parent.name)
        await self.tidy_folders()
        if monotonic() - self._last_stale_check >= STALE_CHECK_SECONDS:
            self._last_stale_check = monotonic()
            await asyncio.to_thread(
                flag_stale_feeds, self.hub, self.settings.feed_stale_days, mailer=self.hub.mailer
            )

    async def hand_over_drops(self) -> None:
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
                drop = await asyncio.to_thread(
                    hand_over_drop, self.hub, integration, self.data_dir, paths
                )
                if drop is not None:
                    names = ", ".join(p.name for p in paths)
                    log.info("SFTP %s: %s handed over as drop %s", login, names, drop)

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
