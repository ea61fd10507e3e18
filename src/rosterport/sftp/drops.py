"""Drops into hosted accounts: when a file set is ready, hand it over; write back its result.

A hosted account's folder (`<data dir>/sftp/<login>/`) is looked at by the scheduler:

- loose files (those matching the integration's name pattern, at the top of the folder)
  form one delivery once every required file of the model is there (any model file in
  Incremental mode), no file changed for the quiet period and none is open for writing;
- a ZIP is a delivery of its own, processed as soon as the client closes it (or once quiet,
  if it arrived while the server was down).

Hidden files (names starting with "."; uploads in progress are written under such names,
see `jail.py`) and subfolders are never taken.

A ready delivery is handed over (`hand_over_drop`): its files leave the folder for blob
storage and an `sftp-drop` job, which any worker runs (`services/sftp_drops.py`); the
version history keeps the originals. When it has been processed, the server holding these
folders writes `results/<stamp>-<hash>.json` (plus `…-errors.csv`, the error report) for the
integrator to pick up (`write_answers`). A process killed in the middle of a hand-over leaves
the files outside the jail, under `<data dir>/sftp-handover/`; `recover_handovers` puts them
back (or, stored whole, lets the job have them): nothing received is lost.

Account folders are private to the server: folders 0700, files 0600. `tidy` (run by the
runtime's scheduler) puts back those modes and removes what no drop will ever take — hidden
files (uploads a crash left behind), files in subfolders, results, and files at the top that
are neither a ZIP nor a file of the model — once unchanged for `RETENTION`.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
import socket
import stat
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from rosterport import blob_keys as keys
from rosterport.domain.policy import Mode
from rosterport.domain.schemas import get_model
from rosterport.services.deliveries import complete
from rosterport.services.hub import Hub
from rosterport.services.integrations import Integration, integration_by_id
from rosterport.services.organizations import org_by_id
from rosterport.services.sftp_drops import (
    delivered,
    forget_files,
    hand_over,
    handed_over,
    new_drop_id,
    undelivered,
)
from rosterport.store.jobs import alive, worker_name

RESULTS = "results"
RETENTION = timedelta(days=7)  # how long what no drop takes (results too) is kept unchanged
FILE_MODE, FOLDER_MODE = 0o600, 0o700


def account_folder(data_dir: Path, login: str) -> Path:
    """The jail of a hosted account."""
    return data_dir / "sftp" / login


def make_account_folder(data_dir: Path, login: str) -> Path:
    """The jail of a hosted account, created if needed; it and `sftp/` are made 0700."""
    folder = account_folder(data_dir, login)
    for path in (folder.parent, folder):
        path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        path.chmod(FOLDER_MODE)
    return folder


class DropActivity:
    """What the SFTP server saw, told to the scheduler: files open for writing per account,
    and ZIPs just closed (which wake the scheduler). Used on the event loop only."""

    def __init__(self, wake: Callable[[], None] | None = None) -> None:
        self._open: Counter[str] = Counter()
        self._zips: dict[str, set[str]] = {}
        self._wake = wake

    def opened(self, login: str) -> None:
        self._open[login] += 1

    def closed(self, login: str, name: str, *, finished: bool = True) -> None:
        self._open[login] = max(0, self._open[login] - 1)
        if finished and name.lower().endswith(".zip"):
            self._zips.setdefault(login, set()).add(name)
            if self._wake is not None:
                self._wake()

    def busy(self, login: str) -> bool:
        return self._open[login] > 0

    def closed_zips(self, login: str) -> set[str]:
        """The ZIPs closed since the last call (each reported once)."""
        return self._zips.pop(login, set())


def _candidates(folder: Path, pattern: str) -> list[Path]:
    """Regular files at the top of the folder that the integration takes."""
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
            continue
        name = entry.name.lower()
        if name.endswith(".zip") or fnmatch.fnmatch(name, pattern.lower()):
            found.append(Path(entry.path))
    return found


def _model_names(integration: Integration) -> set[str]:
    return {n.lower() for f in get_model(integration.model).files for n in (f.name, *f.aliases)}


def tidy(integration: Integration, folder: Path, *, now: datetime) -> list[Path]:
    """Put back the modes of the account's folder (folders 0700, files 0600, whatever was set
    before) and remove what no drop will take once unchanged for `RETENTION` (module doc).
    Returns what was removed. "Unchanged" goes by the inode's change time, which a client
    cannot set (it can set the modification time).
    """
    if not folder.is_dir():
        return []
    names = _model_names(integration)
    keep = {
        p.name
        for p in _candidates(folder, integration.settings.pattern)
        if p.name.lower().endswith(".zip") or p.name.lower() in names
    }
    before = now.timestamp() - RETENTION.total_seconds()
    removed: list[Path] = []
    for top, folders, files in os.walk(folder, topdown=False):
        here = Path(top)
        for path in [here / n for n in files + folders]:
            try:
                info = path.lstat()
                is_folder = stat.S_ISDIR(info.st_mode)
                old = info.st_ctime <= before and not (here == folder and path.name in keep)
                if old and not is_folder:
                    path.unlink()
                    removed.append(path)
                elif old and not any(path.iterdir()):
                    path.rmdir()
                    removed.append(path)
                else:
                    _own_mode(path, info, FOLDER_MODE if is_folder else FILE_MODE)
            except FileNotFoundError:  # removed meanwhile (by the client)
                continue
    folder.chmod(FOLDER_MODE)
    return removed


def _own_mode(path: Path, info: os.stat_result, mode: int) -> None:
    """`mode` on a file or folder (links are left alone: their mode means nothing)."""
    if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) != mode:
        path.chmod(mode)


def ready_drops(
    hub: Hub,
    integration: Integration,
    folder: Path,
    *,
    quiet_seconds: float,
    now: float,
    closed_zips: set[str],
    busy: bool,
) -> list[list[Path]]:
    """The deliveries that are ready in `folder` (see the module doc)."""
    files = _candidates(folder, integration.settings.pattern)

    def quiet(path: Path) -> bool:
        return path.stat().st_mtime <= now - quiet_seconds

    ready: list[list[Path]] = []
    zips = [p for p in files if p.name.lower().endswith(".zip")]
    ready += [[z] for z in zips if z.name in closed_zips or (not busy and quiet(z))]
    loose = [p for p in files if p not in zips]
    if loose and not busy and all(quiet(p) for p in loose):
        org = org_by_id(hub, integration.org_id)
        mode = integration.settings.mode or org.settings.mode
        if complete(integration.model, [p.name for p in loose], Mode(mode)):
            ready.append(loose)
    return ready


HANDOVER = "sftp-handover"  # <data dir>/sftp-handover/<login>/<drop id>/: outside every jail
FOLDER_ID = "sftp-folder-id"  # <data dir>/sftp-folder-id: which account folders these are
OWNER = ".owner"  # host:pid of the process handing a drop over
STALE_HANDOVER = timedelta(hours=1)  # a hand-over of another machine's process, given up
CRASH_MOVED, CRASH_STORED = "sftp-handover-moved", "sftp-handover-stored"  # recovery tests


def folder_id(data_dir: Path) -> str:
    """The id of this data dir's account folders (made on first use): drops record it, and
    the server holding these folders writes their results back. Processes sharing a data dir
    share it."""
    path = data_dir / FOLDER_ID
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    draft = path.with_name(f".{FOLDER_ID}.{os.getpid()}")
    draft.write_text(new_drop_id() + "\n")
    with contextlib.suppress(FileExistsError):  # another process made it first: theirs
        os.link(draft, path)
    draft.unlink()
    return path.read_text().strip()


def hand_over_drop(
    hub: Hub, integration: Integration, data_dir: Path, paths: list[Path]
) -> str | None:
    """Take a ready delivery out of the account's folder and hand it over (module doc of
    `services/sftp_drops.py`); the drop's id, or None when its files went meanwhile (another
    server sharing the folder took them, or the client removed them).

    The files are first moved (renamed: atomic, on the data dir's file system) to a folder
    outside the jail, so a client can no longer change them and a second server cannot take
    them too; if the hand-over fails they are put back, and a process killed in the middle
    leaves them to `recover_handovers`."""
    login = integration.login or ""
    drop_id = new_drop_id()
    staging = data_dir / HANDOVER / login / drop_id
    staging.mkdir(mode=FOLDER_MODE, parents=True)
    (staging / OWNER).write_text(worker_name())
    moved: list[Path] = []

    def give_back() -> None:
        _put_back(hub, drop_id, moved, account_folder(data_dir, login))
        shutil.rmtree(staging, ignore_errors=True)

    try:
        for path in paths:
            target = staging / path.name
            path.rename(target)
            moved.append(target)
    except FileNotFoundError:
        give_back()
        return None
    hub.crash_point(CRASH_MOVED)
    try:
        hand_over(hub, integration, drop_id, moved, folder=folder_id(data_dir))
    except Exception:
        give_back()
        raise
    hub.crash_point(CRASH_STORED)
    shutil.rmtree(staging, ignore_errors=True)
    return drop_id


def _put_back(hub: Hub, drop_id: str, staged: Iterable[Path], folder: Path) -> None:
    """Move staged files back to the account's folder (unless the client sent a newer file
    of the same name meanwhile: that one is the delivery now) and forget what was stored."""
    for path in staged:
        with contextlib.suppress(FileNotFoundError):
            if (folder / path.name).exists():
                path.unlink()
            else:
                path.rename(folder / path.name)
    forget_files(hub, drop_id)


def recover_handovers(hub: Hub, data_dir: Path, *, now: datetime) -> list[str]:
    """Finish the hand-overs a killed process left (the ids of those found): stored whole (the
    row exists) → the staged copies go; otherwise the files go back to the account's folder,
    to be handed over again. A hand-over of a live process on this machine is left alone, and
    one of another machine's process until it is `STALE_HANDOVER` old."""
    root = data_dir / HANDOVER
    if not root.is_dir():
        return []
    found: list[tuple[str, Path, Path]] = []
    for account in sorted(p for p in root.iterdir() if p.is_dir()):
        for staging in sorted(p for p in account.iterdir() if p.is_dir()):
            if _abandoned(staging, now):
                found.append((staging.name, staging, account_folder(data_dir, account.name)))
    done = handed_over(hub, [drop_id for drop_id, _, _ in found])
    for drop_id, staging, folder in found:
        if drop_id not in done:
            _put_back(hub, drop_id, [p for p in staging.iterdir() if p.name != OWNER], folder)
        shutil.rmtree(staging, ignore_errors=True)
    return [drop_id for drop_id, _, _ in found]


def _abandoned(staging: Path, now: datetime) -> bool:
    try:
        owner = (staging / OWNER).read_text()
        changed = staging.stat().st_mtime
    except FileNotFoundError:  # finished meanwhile, or killed before writing its owner
        return staging.exists()
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname():
        return not alive(pid)
    return changed <= now.timestamp() - STALE_HANDOVER.total_seconds()


def write_answers(hub: Hub, data_dir: Path) -> list[Path]:
    """Write the results of the processed drops that came from these account folders into
    each account's `results/`; the files written."""
    written: list[Path] = []
    for answer in undelivered(hub, folder_id(data_dir)):
        login = integration_by_id(hub, answer.integration_id).login
        if login:
            results = account_folder(data_dir, login) / RESULTS
            results.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            for name in answer.names:
                with hub.blobs.open(keys.drop_result(answer.drop_id, name)) as stream:
                    _write(results / name, iter(partial(stream.read, 2**20), b""))
                written.append(results / name)
        delivered(hub, answer)
    return written


def _write(path: Path, data: Iterable[bytes]) -> None:
    """A file written whole or not at all (readers never see a part of it)."""
    part = path.with_name(f".{path.name}.part")
    descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in data:
            handle.write(chunk)
    part.replace(path)
