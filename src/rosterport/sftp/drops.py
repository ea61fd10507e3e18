"""Drops into hosted accounts: when a file set is ready, process it and leave a result.

A hosted account's folder (`<data dir>/sftp/<login>/`) is looked at by the scheduler:

- loose files (those matching the integration's name pattern, at the top of the folder)
  form one delivery once every required file of the model is there (any model file in
  Incremental mode), no file changed for the quiet period and none is open for writing;
- a ZIP is a delivery of its own, processed as soon as the client closes it (or once quiet,
  if it arrived while the server was down).

After processing, the files of the delivery are removed from the folder (the version
history keeps the originals) unless they changed meanwhile, and `results/<stamp>-<hash>.json`
(plus `…-errors.csv`, the error report) is written for the integrator to pick up.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rosterport.csvio.sources import read_source
from rosterport.domain.policy import Mode
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


def account_folder(data_dir: Path, login: str) -> Path:
    """The jail of a hosted account."""
    return data_dir / "sftp" / login


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
    for path, stat in before.items():
        if stat is not None and _stat(path) == stat:  # changed meanwhile: the next delivery
            path.unlink(missing_ok=True)
    return result


def write_result(
    folder: Path, result: DeliveryResult, errors: Iterable[bytes] | None, at: datetime
) -> Path:
    """`results/<stamp>-<hash>.json` (and `-errors.csv`), written whole or not at all."""
    results = folder / RESULTS
    results.mkdir(parents=True, exist_ok=True)
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
    with partial.open("wb") as out:
        for chunk in (data,) if isinstance(data, bytes) else data:
            out.write(chunk)
    partial.replace(path)
