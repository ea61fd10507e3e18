"""The composition root: builds every collaborator from one Settings object."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import partial

from rosterport.blobs import BlobStore, LocalBlobStore
from rosterport.clock import Clock, system_clock
from rosterport.config import Settings
from rosterport.crypto import SecretBox, load_key
from rosterport.files import private_folder
from rosterport.jobs.worker import Handler, Worker
from rosterport.s3blobs import S3BlobStore
from rosterport.services import (
    directory,
    events,
    scim,
    sftp_drops,
    sftp_export,
    sftp_pulls,
    uploads,
    webhooks,
)
from rosterport.services.hub import Hub
from rosterport.services.notifications import SmtpMailer
from rosterport.services.propagation import propagate
from rosterport.services.versions import PROPAGATE
from rosterport.services.versions import status as version_status
from rosterport.sftp import pull
from rosterport.sftp.remote import SftpServers
from rosterport.snapshots import SnapshotStore
from rosterport.store.engine import create_engine, upgrade
from rosterport.store.jobs import Job

SCRATCH = "tmp"  # <data dir>/tmp: the S3 store's temporary local copies
STALE_SCRATCH = timedelta(days=1)  # a copy is read within minutes; older ones were orphaned


CRASH_AT = "ROSTERPORT_TEST_CRASH_AT"  # tests only: SIGKILL the process at a named point


def build_hub(settings: Settings, *, migrate: bool = True, clock: Clock | None = None) -> Hub:
    """Database (migrated to the latest schema), blob storage, snapshots and the clock (the
    machine's, unless a caller hands in another)."""
    private_folder(settings.data_dir)  # 0700: the database, blobs and key are its owner's
    engine = create_engine(settings.database())
    if migrate:
        upgrade(engine)
    blobs = build_blobs(settings)
    box = SecretBox(load_key(settings.secret_key, settings.data_dir))
    return Hub(
        engine,
        blobs,
        SnapshotStore(blobs, box),
        clock or system_clock,
        session_hours=settings.session_hours,
        tombstone_days=settings.tombstone_days,
        event_retention_days=settings.event_retention_days,
        webhook_allow_private=settings.webhook_allow_private,
        webhook_timeout=settings.webhook_timeout_seconds,
        account_grace_days=settings.account_grace_days,
        remote=SftpServers(),
        crash_at=os.environ.get(CRASH_AT) or None,
        mailer=SmtpMailer(settings) if settings.smtp_host else None,
    )


def build_blobs(settings: Settings) -> BlobStore:
    """The blob store `ROSTERPORT_BLOB_URL` names: an S3 bucket (temporary local copies in
    <data dir>/tmp, nothing under <data dir>/blobs), or files under <data dir>/blobs."""
    if settings.blob_url:
        return S3BlobStore.from_url(
            settings.blob_url, settings.data_dir / SCRATCH, endpoint=settings.s3_endpoint
        )
    return LocalBlobStore(settings.data_dir / "blobs")


def build_worker(hub: Hub, *, name: str | None = None, sftp: bool = True) -> Worker:
    """A worker that runs every kind of job rosterport enqueues (without `sftp`: all but the
    SFTP deliveries and pulls, for `settle`)."""
    handlers: dict[str, Handler] = {
        PROPAGATE: partial(propagate, hub),
        webhooks.DELIVER: partial(webhooks.deliver, hub),
        sftp_export.EXPORT: partial(sftp_export.deliver, hub),
        scim.PUSH: partial(_push_scim, hub),
        directory.HASH_PASSWORDS: partial(directory.hash_passwords, hub),
    }
    if sftp:
        handlers[sftp_drops.DROP] = partial(_process_drop, hub)
        handlers[sftp_pulls.PULL_JOB] = partial(pull.run_job, hub, settle=partial(settle, hub))
    return Worker(
        hub.engine,
        handlers,
        clock=hub.clock,
        name=name,
        chores={
            "expiring abandoned uploads": partial(uploads.expire, hub),
            "purging events past their retention": partial(events.purge, hub),
            "timed SFTP exports": partial(sftp_export.scheduled, hub),
            "deleting accounts absent past the grace period": partial(
                directory.expire, hub, on_deleted=partial(scim.on_accounts_deleted, hub)
            ),
        },
    )


def settle(hub: Hub, version: int) -> str:
    """Run the queued jobs in-process and return the version's status: a delivery processed
    unattended (an SFTP drop or pull) waits for its version to reach production, so its
    result says how it ended. SFTP jobs are left to be claimed on their own."""
    build_worker(hub, name=f"settle:{os.getpid()}", sftp=False).drain()
    return version_status(hub, version)


def _push_scim(hub: Hub, job: Job) -> None:
    """The SCIM push handler, imported when a push runs: scim2-client and its models take
    most of a second to import, which a CLI upload or a web request should not pay."""
    from rosterport.services import scim_push  # noqa: PLC0415 - imported when used (see above)

    scim_push.push(hub, job)


def _process_drop(hub: Hub, job: Job) -> None:
    sftp_drops.process(hub, job, settle=partial(settle, hub))
