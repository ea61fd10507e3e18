"""The collaborators every service needs, passed as one value (built by bootstrap.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from rosterport.blobs import LocalBlobStore
from rosterport.snapshots import SnapshotStore


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Hub:
    """Metadata database, blob storage, snapshots and the clock."""

    engine: sa.Engine
    blobs: LocalBlobStore
    snapshots: SnapshotStore
    clock: Callable[[], datetime] = utc_now
    session_hours: int = 24
