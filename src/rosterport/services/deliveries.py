"""Unattended processing of an SFTP delivery: the upload steps, with no one to click.

    files → same content as the last delivery? → "Duplicate", nothing else happens
          → start → add files → validate → commit (deletions past a safeguard never allowed)
          → Validation Errors | Held | Pending propagation (→ settled by the caller's worker)
          → an in-app notification (and an e-mail when a mailer is given)

A delivery is the same content as an earlier one when the SHA-256 over its file names and
contents equals that of the integration's last delivery: redelivering a file set changes
nothing, while going back to an older file set (a real change) is processed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from rosterport.csvio.sources import SourceFile
from rosterport.domain.mappings import apply_mappings
from rosterport.domain.policy import Mode
from rosterport.domain.preview import FILTERED, Breach, held_reason, plural
from rosterport.domain.report import Report
from rosterport.domain.schemas import get_model
from rosterport.domain.version_status import HELD, PENDING, VALIDATION_ERRORS
from rosterport.errors import InputError, ProductionChangedError
from rosterport.services import upload_commit, upload_reports, upload_validation, uploads
from rosterport.services.hub import Hub
from rosterport.services.integrations import (
    Integration,
    integration_by_id,
    list_integrations,
    set_columns,
)
from rosterport.services.notifications import DELIVERY, STALE_FEED, Mailer, notify
from rosterport.services.organizations import org_by_id
from rosterport.store import deliveries as store

DUPLICATE = "Duplicate"
REFUSED = "Refused"  # unusable input: not a ZIP, a model the organization has not enabled


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What became of a delivery; `to_json` is the result file's content."""

    status: str
    content_hash: str
    files: tuple[str, ...]
    version: int | None = None
    committed_by: str = ""
    changes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    summary: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    report: str | None = None  # blob key of the error report CSV
    reason: str = ""  # Held: the safeguards breached, in people's words
    groups: tuple[str, ...] = ()  # knock-on removals, counted ("5 students removed, with…")
    filtered: int = 0  # records validation filtered out (Warn)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "version": self.version,
            "committed_by": self.committed_by,
            "files": list(self.files),
            "changes": {name: dict(c) for name, c in self.changes.items()},
            "issues": dict(self.summary),
            "notes": list(self.notes),
            "content_sha256": self.content_hash,
        }

    def sentence(self, integration: Integration) -> str:
        """One line for people: what happened and what to do."""
        who = f"SFTP delivery from {integration.committed_by} ({len(self.files)} files)"
        totals = {
            k: sum(c.get(k, 0) for c in self.changes.values())
            for k in ("added", "updated", "removed")
        }
        counted = f"{totals['added']:,} added, {totals['updated']:,} updated, " + (
            f"{totals['removed']:,} removed"
        )
        if self.status == DUPLICATE:
            return f"{who} is identical to the last one; nothing was processed."
        if self.status == REFUSED:
            return f"{who} was refused: {' '.join(self.notes)}"
        if self.status == VALIDATION_ERRORS:
            errors = self.summary.get("error", 0)
            return (
                f"{who} failed validation with {errors:,} errors; production is unchanged. "
                f"Download the error report of version {self.version} in the version history, "
                "fix the export and deliver again."
            )
        if self.status == HELD and self.reason:  # the reason and the action first
            counted_groups = "".join(f" {g[:1].upper()}{g[1:]}." for g in self.groups)
            return (
                f"Held: {self.reason}. Approve it if that is right, or discard it: "
                f"version {self.version} in the Version History.{counted_groups} ({who}.)"
            )
        if self.status == HELD:
            return (
                f"{who} was held by a safeguard ({' '.join(self.notes)}); approve or discard "
                f"version {self.version} in the version history."
            )
        filtered = (
            f", {self.filtered:,} {plural('record', self.filtered)} filtered"
            if self.filtered
            else ""
        )
        return (
            f"{who} was committed as version {self.version} ({counted}): {self.status}{filtered}."
        )


def content_hash(files: Sequence[SourceFile]) -> str:
    """SHA-256 over the files' names and contents, independent of their order."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.name):
        digest.update(file.name.encode() + b"\0")
        digest.update(hashlib.sha256(file.data).digest())
    return digest.hexdigest()


def last_hash(hub: Hub, integration: Integration) -> str | None:
    with hub.engine.connect() as conn:
        # refused input may be usable later
        return store.last_hash(conn, integration.id, skipping=REFUSED)


def complete(model: str, names: Sequence[str], mode: Mode) -> bool:
    """Whether `names` hold every file the model requires (any model file in Incremental
    mode, where a delivery may carry just the files that changed)."""
    schema = get_model(model)
    present = {n.lower() for n in names}

    def has(f: Any) -> bool:
        return any(n.lower() in present for n in (f.name, *f.aliases))

    if mode == Mode.INCREMENTAL:
        return any(has(f) for f in schema.files)
    return all(has(f) for f in schema.files if f.required)


def process_delivery(
    hub: Hub,
    integration: Integration,
    files: Sequence[SourceFile],
    *,
    settle: Callable[[int], str] | None = None,
    mailer: Mailer | None = None,
) -> DeliveryResult:
    """Validate and commit a delivery unattended (see the module doc). `settle` runs the
    queued jobs of a committed version and returns its final status (embedded mode)."""
    names = tuple(f.name for f in files)
    digest = content_hash(files)
    _arrived(hub, integration)
    if digest == last_hash(hub, integration):
        return DeliveryResult(DUPLICATE, digest, names, committed_by=integration.committed_by)
    try:
        result = _run(hub, integration, files, digest)
    except ProductionChangedError:  # another commit won the race: validate against it
        result = _run(hub, integration, files, digest)
    except InputError as error:
        result = DeliveryResult(
            REFUSED, digest, names, committed_by=integration.committed_by, notes=(str(error),)
        )
    if result.status == PENDING and result.version is not None and settle is not None:
        result = _replace_status(result, settle(result.version))
    return _recorded(hub, integration, result, mailer)


def refuse_delivery(
    hub: Hub,
    integration: Integration,
    paths: Sequence[Path],
    reason: str,
    *,
    mailer: Mailer | None = None,
) -> DeliveryResult:
    """A delivery that cannot be read at all (a ZIP that is not one): recorded, notified."""
    files = [SourceFile.at(p.name, p) for p in paths]
    result = DeliveryResult(
        REFUSED,
        content_hash(files),
        tuple(p.name for p in paths),
        committed_by=integration.committed_by,
        notes=(reason,),
    )
    _arrived(hub, integration)
    return _recorded(hub, integration, result, mailer)


def _recorded(
    hub: Hub, integration: Integration, result: DeliveryResult, mailer: Mailer | None
) -> DeliveryResult:
    """Keep the delivery's result and tell the organization about it."""
    _record(hub, integration, result)
    notify(
        hub,
        integration.org_id,
        DELIVERY,
        result.sentence(integration),
        mailer=mailer,
        to=integration.settings.notify,
    )
    return result


def _run(
    hub: Hub, integration: Integration, files: Sequence[SourceFile], digest: str
) -> DeliveryResult:
    org = integration.org_settings(org_by_id(hub, integration.org_id))
    who = integration.committed_by
    names = tuple(f.name for f in files)
    session = uploads.start(hub, org, integration.model, mode=org.settings.mode)
    uploads.add_files(hub, org, session.id, files)
    session, report = upload_validation.run_validation(
        hub,
        org,
        session.id,
        requirements=integration.settings.requirement_map(),
        prepare=partial(
            apply_mappings,
            columns=integration.settings.columns,
            schools=integration.settings.schools,
        ),
        committed_by=who,
        source="sftp",
    )
    report_key = session.data.get("report")
    if not report.valid:
        return DeliveryResult(
            VALIDATION_ERRORS,
            digest,
            names,
            session.data.get("version"),
            who,
            summary=report.summary(),
            notes=report.notes,
            report=report_key,
        )
    version, status, verified = upload_commit.commit(
        hub,
        org,
        session.id,
        committed_by=who,
        source="sftp",
        allow_deletions=False,
        hold=filtered_breaches(report, org.settings.filtered_threshold),
    )
    return DeliveryResult(
        status,
        digest,
        names,
        version,
        who,
        verified.counts(),
        report.summary(),
        (*report.notes, *verified.sentences(), *(b.sentence() for b in verified.breaches)),
        report_key,
        held_reason(verified.breaches) if verified.breaches else "",
        tuple(c.sentence() for c in verified.cascades()),
        sum(f.filtered for f in report.files),
    )


def filtered_breaches(report: Report, threshold: float) -> tuple[Breach, ...]:
    """The files of an unattended upload whose share of records filtered out by validation
    (Warn) is above `threshold`: held for someone to look at, first loads included."""
    model = get_model(report.model)
    names = {s.name for s in model.files}
    out = []
    for f in report.files:
        name = f.schema_file or f.name
        if f.rows and f.filtered / f.rows > threshold:
            noun = model.file(name).entity if name in names else "record"
            out.append(Breach(name, f.filtered, f.rows, threshold, noun, FILTERED))
    order = [s.name for s in model.files]
    return tuple(sorted(out, key=lambda b: order.index(b.file) if b.file in order else len(order)))


def _replace_status(result: DeliveryResult, status: str) -> DeliveryResult:
    return DeliveryResult(
        status,
        result.content_hash,
        result.files,
        result.version,
        result.committed_by,
        result.changes,
        result.summary,
        result.notes,
        result.report,
        result.reason,
        result.groups,
        result.filtered,
    )


def _arrived(hub: Hub, integration: Integration) -> None:
    """A delivery arrived: the feed is alive (a stale flag is cleared)."""
    set_columns(hub, integration, last_file_at=hub.clock(), stale_since=None)


def _record(hub: Hub, integration: Integration, result: DeliveryResult) -> None:
    with hub.engine.begin() as conn:
        store.insert(
            conn,
            integration.id,
            content_hash=result.content_hash,
            status=result.status,
            version_id=result.version,
            detail=result.to_json(),
            now=hub.clock(),
        )


def report_csv(hub: Hub, result: DeliveryResult) -> bytes | None:
    """The delivery's error report (CSV), if it was validated: whole, for small reports
    (`report_chunks` streams it)."""
    chunks = report_chunks(hub, result)
    return None if chunks is None else b"".join(chunks)


def report_chunks(hub: Hub, result: DeliveryResult) -> Iterator[bytes] | None:
    """The delivery's error report (CSV) a part at a time, if it was validated."""
    if result.report and hub.blobs.exists(result.report):
        return upload_reports.report_chunks(hub, result.report)
    return None


def flag_stale_feeds(hub: Hub, days: int, *, mailer: Mailer | None = None) -> list[Integration]:
    """The enabled integrations with no delivery for `days` days (counted from their
    creation when nothing ever arrived). Each newly stale feed is flagged (`stale_since`)
    and notified once; a delivery clears the flag."""
    now = hub.clock()
    cutoff = now - timedelta(days=days)
    stale: list[Integration] = []
    for integration in list_integrations(hub):
        last = integration.last_file_at or integration.created_at
        if not integration.enabled or last > cutoff:
            continue
        if integration.stale_since is None:
            set_columns(hub, integration, stale_since=now)
            since = (
                "ever" if integration.last_file_at is None else f"since {last:%Y-%m-%d %H:%M} UTC"
            )
            notify(
                hub,
                integration.org_id,
                STALE_FEED,
                f"The SFTP feed {integration.committed_by} has delivered no files {since} "
                f"(more than {days} days). Check the export job on the sending side.",
                mailer=mailer,
                to=integration.settings.notify,
            )
            stale.append(integration_by_id(hub, integration.id))
        else:
            stale.append(integration)
    return stale
