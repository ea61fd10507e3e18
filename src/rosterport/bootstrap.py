"""The composition root: builds every collaborator from one Settings object."""

from __future__ import annotations

from functools import partial

from rosterport.blobs import LocalBlobStore
from rosterport.clock import Clock, system_clock
from rosterport.config import Settings
from rosterport.crypto import SecretBox, load_key
from rosterport.files import private_folder
from rosterport.jobs.worker import Worker
from rosterport.services import directory, uploads
from rosterport.services.hub import Hub
from rosterport.services.propagation import propagate
from rosterport.services.versions import PROPAGATE
from rosterport.snapshots import SnapshotStore
from rosterport.store.engine import create_engine, upgrade


def build_hub(settings: Settings, *, migrate: bool = True, clock: Clock | None = None) -> Hub:
    """Database (migrated to the latest schema), blob storage, snapshots and the clock (the
    machine's, unless a caller hands in another)."""
    private_folder(settings.data_dir)  # 0700: the database, blobs and key are its owner's
    engine = create_engine(settings.database())
    if migrate:
        upgrade(engine)
    blobs = LocalBlobStore(settings.data_dir / "blobs")
    box = SecretBox(load_key(settings.secret_key, settings.data_dir))
    return Hub(
        engine,
        blobs,
        SnapshotStore(blobs, box),
        clock or system_clock,
        session_hours=settings.session_hours,
        tombstone_days=settings.tombstone_days,
        account_grace_days=settings.account_grace_days,
    )


def build_worker(hub: Hub, *, name: str | None = None) -> Worker:
    """A worker that runs every kind of job rosterport enqueues."""
    return Worker(
        hub.engine,
        {
            PROPAGATE: partial(propagate, hub),
            directory.HASH_PASSWORDS: partial(directory.hash_passwords, hub),
        },
        clock=hub.clock,
        name=name,
        chores={
            "expiring abandoned uploads": partial(uploads.expire, hub),
            "deleting accounts absent past the grace period": partial(directory.expire, hub),
        },
    )
