"""The collaborators every service needs, passed as one value (built by bootstrap.py)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from rosterport.blobs import LocalBlobStore
from rosterport.clock import Clock
from rosterport.snapshots import SnapshotStore


@dataclass(frozen=True, slots=True)
class Hub:
    """Metadata database, blob storage, snapshots and the clock."""

    engine: sa.Engine
    blobs: LocalBlobStore
    snapshots: SnapshotStore
    clock: Clock
    session_hours: int = 24
