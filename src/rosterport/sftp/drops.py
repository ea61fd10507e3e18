"""Drops into hosted accounts: when a file set is ready, process it and leave a result.

A hosted account's folder (`<data dir>/sftp/<login>/`) is looked at by the scheduler:

- loose files (those matching the integration's name pattern, at the top of the folder)
  form one delivery once every required file of the model is there (any model file in
  Incremental mode), no file changed for the quiet period and none is open for writing;
- a ZIP is a delivery of its own, processed as soon as the client closes it (or once quiet,
  if it arrived while the server was down).

Hidden files (names starting with "."; uploads in progress are written under such names,
see `server.py`) and subfolders are never taken.

After processing, the files of the delivery are removed from the folder (the version
history keeps the originals) unless they changed meanwhile, and `results/<stamp>-<hash>.json`
(plus `…-errors.csv`, the error report) is written for the integrator to pick up.

Account folders are private to the server: folders 0700, files 0600. `tidy` (run by the
runtime's scheduler) puts back those modes and removes what no drop will ever take — hidden
files (uploads a crash left behind), files in subfolders, results, and files at the top that
are neither a ZIP nor a file of the model — once unchanged for `RETENTION`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rosterport.csvio.sources import read_source
from rosterport.domain.policy import Mode
from rosterport.domain.schemas import get_model
from rosterport.errors import InputError
from rosterport.services.deliveries import (
    DeliveryResult,
    complete,
    process_delivery,
    refuse_delivery,
    report_chunks,
)
from rosterport.services.hub import Hub
from rosterport.services.integrations import Integration
from rosterport.services.notifications import Mailer
from rosterport.services.organizations import org_by_id

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


@dataclass(frozen=True, slots=True)
class _Stat:
    size: int
    mtime_ns: int


def _stat(path: Path) -> _Stat | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return _Stat(st.st_size, st.st_mtime_ns)


def process_drop(
    hub: Hub,
    integration: Integration,
    folder: Path,
    paths: list[Path],
    *,
    settle: Callable[[int], str] | None = None,
    mailer: Mailer | None = None,
) -> DeliveryResult:
    """Process one delivery of a hosted account, write its result file, remove its files."""
    before = {p: _stat(p) for p in paths}
    try:
        source = read_source(paths)
    except InputError as error:  # a ZIP that is not one, or refused as hostile
        result = refuse_delivery(hub, integration, paths, str(error), mailer=mailer)
    else:
        result = process_delivery(hub, integration, source.files, settle=settle, mailer=mailer)
    write_result(folder, result, report_chunks(hub, result), hub.clock())
    for path, seen in before.items():
        if seen is not None and _stat(path) == seen:  # changed meanwhile: the next delivery
            path.unlink(missing_ok=True)
    return result


def write_result(
    folder: Path, result: DeliveryResult, errors: Iterable[bytes] | None, at: datetime
) -> Path:
    """`results/<stamp>-<hash>.json` (and `-errors.csv`), written whole or not at all."""
    results = folder / RESULTS
    results.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    base = f"{at:%Y%m%dT%H%M%SZ}-{result.content_hash[:8]}"
    payload = {"processed_at": at.isoformat(), **result.to_json(), "error_report": None}
    if errors is not None:
        payload["error_report"] = f"{base}-errors.csv"
        _write(results / f"{base}-errors.csv", errors)  # written as it is made
    target = results / f"{base}.json"
    _write(target, json.dumps(payload, indent=2, ensure_ascii=False).encode() + b"\n")
    return target


def _write(path: Path, data: bytes | Iterable[bytes]) -> None:
    partial = path.with_name(f".{path.name}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in (data,) if isinstance(data, bytes) else data:
            handle.write(chunk)
    partial.replace(path)
