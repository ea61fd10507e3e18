"""Deliveries of hosted SFTP accounts as jobs: handed over, processed by any worker, answered.

The SFTP server of a `serve` process only receives files into its account folders. When a
delivery is ready there (`sftp/drops.py` decides: quiet period, ZIP closed, set complete), the
server **hands it over**: the files go to blob storage (`drops/<id>/files/`), and one
transaction writes the drop's row and its `sftp-drop` job. Any worker then **processes** it
(`process`, the job's handler: validate and commit unattended, like any delivery), stores the
result files under `drops/<id>/results/` and deletes the delivery's files (the version
history keeps the originals, secrets emptied). The server that holds the account folders the
drop came from (`folder`, an id of the data dir's `sftp/` folder) writes the results into the
account's `results/` (`undelivered`, `delivered`).

A handler that runs twice (a worker killed mid-job; delivery is at-least-once) finds the row
already processed and does nothing, or — killed before recording it — processes the same files
again, which commits nothing new: identical content is recognised by its hash.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from rosterport import blob_keys as keys
from rosterport.csvio.sources import read_source
from rosterport.errors import InputError
from rosterport.services.deliveries import (
    DeliveryResult,
    process_delivery,
    refuse_delivery,
    report_chunks,
)
from rosterport.services.hub import Hub
from rosterport.services.integrations import Integration, integration_by_id
from rosterport.store import jobs as queue
from rosterport.store import sftp_drops as store
from rosterport.store.jobs import Job

DROP: Final = "sftp-drop"
MAX_ATTEMPTS: Final = 10  # a drop is what a district sent: keep trying through outages


def new_drop_id() -> str:
    return uuid.uuid4().hex


def hand_over(
    hub: Hub, integration: Integration, drop_id: str, paths: Sequence[Path], *, folder: str
) -> None:
    """Store a ready delivery's files and queue its processing (row and job in one
    transaction: the job exists only if the whole delivery is stored)."""
    for path in paths:
        hub.blobs.put_file(keys.drop_file(drop_id, path.name), path)
    now = hub.clock()
    with hub.engine.begin() as conn:
        store.insert(
            conn,
            drop_id,
            integration_id=integration.id,
            folder=folder,
            files=[p.name for p in paths],
            now=now,
        )
        queue.enqueue(conn, DROP, {"drop": drop_id}, now=now, max_attempts=MAX_ATTEMPTS)


def handed_over(hub: Hub, drop_ids: Sequence[str]) -> set[str]:
    """Which of these drops were handed over whole (their row exists)."""
    with hub.engine.connect() as conn:
        return store.known(conn, drop_ids)


def forget_files(hub: Hub, drop_id: str) -> None:
    """Delete what a hand-over that did not finish stored."""
    hub.blobs.delete_prefix(keys.drop_files(drop_id))


def process(
    hub: Hub, job: Job, *, settle: Callable[[int], str] | None = None
) -> DeliveryResult | None:
    """The `sftp-drop` job: process the delivery, store its results; None when it was
    processed already."""
    drop_id = str(job.payload["drop"])
    with hub.engine.connect() as conn:
        row = store.by_id(conn, drop_id)
    if row is None or row.state != store.RECEIVED:
        return None
    integration = integration_by_id(hub, int(row.integration_id))
    with ExitStack() as copies:  # local files of the stored delivery, while they are read
        paths = [
            copies.enter_context(hub.blobs.local_copy(keys.drop_file(drop_id, str(name))))
            for name in row.files
        ]
        try:
            source = read_source(paths)
        except InputError as error:  # a ZIP that is not one, or refused as hostile
            result = refuse_delivery(hub, integration, paths, str(error), mailer=hub.mailer)
        else:
            result = process_delivery(
                hub, integration, source.files, settle=settle, mailer=hub.mailer
            )
    at = hub.clock()
    names = []
    for file in result_files(result, report_chunks(hub, result), at):
        hub.blobs.put_with(keys.drop_result(drop_id, file.name), file.write)
        names.append(file.name)
    with hub.engine.begin() as conn:
        store.mark_processed(conn, drop_id, names, now=at)
    hub.blobs.delete_prefix(keys.drop_files(drop_id))
    return result


@dataclass(frozen=True, slots=True)
class ResultFile:
    """One file of a drop's answer: `<stamp>-<hash>.json`, and `…-errors.csv` when there is
    an error report."""

    name: str
    chunks: Iterable[bytes]

    def write(self, path: Path) -> None:
        with path.open("wb") as handle:
            for chunk in self.chunks:
                handle.write(chunk)


def result_files(
    result: DeliveryResult, errors: Iterable[bytes] | None, at: datetime
) -> list[ResultFile]:
    """The answer to a delivery, the error report first (the JSON names it)."""
    base = f"{at:%Y%m%dT%H%M%SZ}-{result.content_hash[:8]}"
    payload = {"processed_at": at.isoformat(), **result.to_json(), "error_report": None}
    files = []
    if errors is not None:
        payload["error_report"] = f"{base}-errors.csv"
        files.append(ResultFile(f"{base}-errors.csv", errors))
    text = json.dumps(payload, indent=2, ensure_ascii=False).encode() + b"\n"
    files.append(ResultFile(f"{base}.json", (text,)))
    return files


@dataclass(frozen=True, slots=True)
class Answer:
    """A processed drop whose result files are waiting for the account's folder."""

    drop_id: str
    integration_id: int
    names: tuple[str, ...]


def undelivered(hub: Hub, folder: str) -> list[Answer]:
    """The processed drops from `folder` whose results the server has not written yet."""
    with hub.engine.connect() as conn:
        rows = store.undelivered(conn, folder)
    return [Answer(str(r.id), int(r.integration_id), tuple(r.results or ())) for r in rows]


def delivered(hub: Hub, answer: Answer) -> None:
    """The server wrote `answer`'s files: record it, delete the stored copies (once)."""
    with hub.engine.begin() as conn:
        store.mark_delivered(conn, answer.drop_id, now=hub.clock())
    hub.blobs.delete_prefix(keys.drop_results(answer.drop_id))


def drop_states(hub: Hub, integration_id: int) -> dict[str, int]:
    with hub.engine.connect() as conn:
        return store.in_states(conn, integration_id)
