"""Pulling from an organization's own SFTP server, on the integration's schedule.

One pull:
1. sign in (host key checked before any credential is sent; pinned after the first
   successful sign-in) and list the folder (`path`, or the login folder);
2. take the regular files matching the name pattern (and ZIPs); if one changed within the
   quiet period, it may still be being written: try again at the next scheduler round;
3. download the files that are new or changed (size or modification time), into a mirror in
   blob storage, and compare their SHA-256 with the last download: a file only touched is
   not a change;
4. when something changed and the mirrored set is complete, process it like any delivery
   (identical content already processed is recognised by its hash), then keep, move or
   delete the files on the server as the integration says.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import posixpath
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from rosterport import blob_keys as keys
from rosterport.csvio.sources import read_source
from rosterport.domain.policy import Mode
from rosterport.errors import InputError, JobDeferred
from rosterport.files import file_sha256
from rosterport.remote import ConnectionFailed
from rosterport.services import integrations as ints
from rosterport.services import sftp_pulls
from rosterport.services.deliveries import (
    DeliveryResult,
    complete,
    process_delivery,
    refuse_delivery,
)
from rosterport.services.hub import Hub
from rosterport.services.integrations import Integration
from rosterport.services.notifications import DELIVERY, Mailer, notify
from rosterport.services.organizations import org_by_id
from rosterport.services.sftp_pulls import SeenFile
from rosterport.sftp.client import folder_of, listing_failure, open_connection
from rosterport.store.jobs import Job

log = logging.getLogger(__name__)

NO_CHANGES, WAITING, INCOMPLETE, PROCESSED, FAILED = (
    "no changes",
    "waiting",
    "incomplete",
    "processed",
    "failed",
)


@dataclass(frozen=True, slots=True)
class PullOutcome:
    status: str
    message: str = ""
    result: DeliveryResult | None = None


def run_job(hub: Hub, job: Job, *, settle: Callable[[int], str] | None = None) -> None:
    """The `sftp-pull` job (queued by `services/sftp_pulls.schedule_due`): one pull. Files
    still being written on the server put the job back for a little later."""
    integration = ints.integration_by_id(hub, int(job.payload["integration"]))
    if not integration.enabled:
        return
    quiet = float(job.payload.get("quiet_seconds", 60))
    outcome = asyncio.run(
        pull_once(hub, integration, quiet_seconds=quiet, settle=settle, mailer=hub.mailer)
    )
    if outcome.status == WAITING:
        raise JobDeferred(outcome.message, seconds=min(quiet, 30.0))
    log.info("SFTP pull %s: %s %s", integration.id, outcome.status, outcome.message)


def _mirror(integration: Integration, name: str) -> str:
    return keys.mirror_file(integration.id, name)


def _taken(name: str, pattern: str) -> bool:
    lowered = name.lower()
    return not name.startswith(".") and (
        lowered.endswith(".zip") or fnmatch.fnmatch(lowered, pattern.lower())
    )


async def pull_once(
    hub: Hub,
    integration: Integration,
    *,
    quiet_seconds: float,
    settle: Callable[[int], str] | None = None,
    mailer: Mailer | None = None,
) -> PullOutcome:
    """Run one pull (see the module doc)."""
    credentials = await asyncio.to_thread(ints.pull_credentials, hub, integration)
    host, port = integration.host or "", integration.port or 22
    try:
        conn, report = await open_connection(
            host, port, integration.username or "", credentials, pinned=integration.host_key
        )
    except ConnectionFailed as failed:
        return await _failed(hub, integration, str(failed), mailer)
    message = ""
    async with conn:
        if integration.host_key is None and report.host_key:  # trust on first use
            await asyncio.to_thread(ints.pin_host_key, hub, integration, report.host_key)
        try:
            async with conn.start_sftp_client() as sftp:
                return await _pull(
                    hub, integration, sftp, quiet_seconds, settle=settle, mailer=mailer
                )
        except asyncssh.SFTPError as error:
            message = listing_failure(integration.settings.path, error)
    return await _failed(hub, integration, message, mailer)


async def _failed(
    hub: Hub, integration: Integration, message: str, mailer: Mailer | None
) -> PullOutcome:
    text = f"The SFTP pull {integration.committed_by} failed: {message}"
    await asyncio.to_thread(sftp_pulls.mark_pulled, hub, integration)
    await asyncio.to_thread(
        notify,
        hub,
        integration.org_id,
        DELIVERY,
        text,
        mailer=mailer,
        to=integration.settings.notify,
    )
    return PullOutcome(FAILED, text)


async def _pull(
    hub: Hub,
    integration: Integration,
    sftp: asyncssh.SFTPClient,
    quiet_seconds: float,
    *,
    settle: Callable[[int], str] | None,
    mailer: Mailer | None,
) -> PullOutcome:
    settings = integration.settings
    folder = folder_of(settings.path)
    listed = [
        n
        for n in await sftp.readdir(folder)
        if n.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
        and _taken(str(n.filename), settings.pattern)
    ]
    now = hub.clock().timestamp()
    if any((n.attrs.mtime or 0) > now - quiet_seconds for n in listed):
        return PullOutcome(WAITING, "a file changed moments ago; looking again shortly")
    seen = await asyncio.to_thread(sftp_pulls.seen_files, hub, integration)
    names = [str(n.filename) for n in listed]
    gone = [name for name in seen if name not in names]
    for name in gone:
        hub.blobs.delete_prefix(_mirror(integration, name))
    await asyncio.to_thread(sftp_pulls.forget_seen, hub, integration, gone)
    updates: list[SeenFile] = []
    changed = bool(gone) and bool(names)
    with tempfile.TemporaryDirectory() as scratch:
        for entry in listed:
            name = str(entry.filename)
            size, mtime = int(entry.attrs.size or 0), int(entry.attrs.mtime or 0)
            known = seen.get(name)
            key = _mirror(integration, name)
            if known and (known.size, known.mtime) == (size, mtime) and hub.blobs.exists(key):
                continue
            local = Path(scratch) / name
            await sftp.get(posixpath.join(folder, name), local)
            digest = await asyncio.to_thread(file_sha256, local)
            await asyncio.to_thread(hub.blobs.put_file, key, local)
            updates.append(SeenFile(name, size, mtime, digest))
            changed = changed or known is None or known.sha256 != digest
    if not changed:
        await asyncio.to_thread(_done, hub, integration, updates)
        return PullOutcome(NO_CHANGES)
    outcome = await asyncio.to_thread(
        _process, hub, integration, names, settle=settle, mailer=mailer
    )
    await asyncio.to_thread(sftp_pulls.record_seen, hub, integration, updates)
    if outcome.status == PROCESSED and settings.after != ints.KEEP:
        await _after(hub, integration, sftp, folder, names)
    await asyncio.to_thread(sftp_pulls.mark_pulled, hub, integration)
    return outcome


def _done(hub: Hub, integration: Integration, updates: list[SeenFile]) -> None:
    sftp_pulls.record_seen(hub, integration, updates)
    sftp_pulls.mark_pulled(hub, integration)


def _process(
    hub: Hub,
    integration: Integration,
    names: list[str],
    *,
    settle: Callable[[int], str] | None,
    mailer: Mailer | None,
) -> PullOutcome:
    with ExitStack() as copies:  # local files of the mirrored blobs, while they are read
        paths = [copies.enter_context(hub.blobs.local_copy(_mirror(integration, n))) for n in names]
        try:
            source = read_source(paths)
        except InputError as error:
            result = refuse_delivery(hub, integration, paths, str(error), mailer=mailer)
            return PullOutcome(PROCESSED, result.sentence(integration), result)
        org = org_by_id(hub, integration.org_id)
        mode = Mode(integration.settings.mode or org.settings.mode)
        if not complete(integration.model, [f.name for f in source.files], mode):
            return PullOutcome(INCOMPLETE, "waiting for the rest of the file set")
        result = process_delivery(hub, integration, source.files, settle=settle, mailer=mailer)
        return PullOutcome(PROCESSED, result.sentence(integration), result)


async def _after(
    hub: Hub, integration: Integration, sftp: asyncssh.SFTPClient, folder: str, names: list[str]
) -> None:
    """Move or delete the processed files on the server; the mirror forgets them."""
    settings = integration.settings
    target = posixpath.join(folder, settings.move_to.strip("/"))
    if settings.after == ints.MOVE:
        await sftp.makedirs(target, exist_ok=True)
    for name in names:
        source = posixpath.join(folder, name)
        if settings.after == ints.MOVE:
            destination = posixpath.join(target, name)
            if await sftp.exists(destination):
                await sftp.remove(destination)
            await sftp.rename(source, destination)
        else:
            await sftp.remove(source)
        hub.blobs.delete_prefix(_mirror(integration, name))
    await asyncio.to_thread(sftp_pulls.forget_seen, hub, integration, names)
