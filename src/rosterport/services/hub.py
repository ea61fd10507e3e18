"""The collaborators every service needs, passed as one value (built by bootstrap.py)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa

from rosterport.blobs import BlobStore
from rosterport.clock import Clock
from rosterport.errors import StateError
from rosterport.remote import RemoteServers
from rosterport.snapshots import SnapshotStore

if TYPE_CHECKING:  # notifications imports Hub: the port's type only, not at run time
    from rosterport.services.notifications import Mailer

RosterMapping = Callable[[str, Mapping[str, pl.DataFrame], str, str], dict[str, pl.DataFrame]]
"""(model, states by file name, district sourcedId, district name) → OneRoster frames by
collection (the contract of `rosterport.domain.roster.to_roster`)."""


@dataclass(frozen=True, slots=True)
class Hub:
    """Metadata database, blob storage, snapshots and the clock."""

    engine: sa.Engine
    blobs: BlobStore
    snapshots: SnapshotStore
    clock: Clock
    session_hours: int = 24
    tombstone_days: int = 30  # removed roster objects stay this long as tombstones
    account_grace_days: int = 30  # absent accounts stay suspended this long, then deleted
    roster_mapping: RosterMapping | None = None  # None: the domain's mapping, when present
    event_retention_days: int = 30  # change events stay in the feed this long
    webhook_allow_private: bool = False  # deliver webhooks to loopback/private addresses
    webhook_timeout: float = 15.0  # seconds a webhook receiver has to answer
    remote: RemoteServers | None = None  # SFTP servers of pulls and exports (bootstrap's)
    crash_at: str | None = None  # tests of recovery only: die at this named point of a commit
    mailer: Mailer | None = None  # e-mail for notifications made by jobs (None: in-app only)

    def crash_point(self, name: str) -> None:
        """A named point of the commit path where recovery tests kill the process
        (bootstrap sets `crash_at` from ROSTERPORT_TEST_CRASH_AT; never in a normal run)."""
        if self.crash_at == name:
            os.kill(os.getpid(), signal.SIGKILL)

    def remote_servers(self) -> RemoteServers:
        """The remote file servers port; StateError for a hub built without one."""
        if self.remote is None:
            raise StateError("this process was built without remote servers (Hub.remote)")
        return self.remote
