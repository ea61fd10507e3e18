"""Versions: preview an upload against production, commit it atomically, hold it, restore.

Commit protocol (DESIGN.md, "Storage"): the new snapshot is written first (validation writes
it under the session; the commit moves it to a fresh prefix); then ONE database transaction
inserts the version, moves the dataset's current-version pointer only if it still equals the
version the preview was computed from (compare-and-set), and enqueues the propagation job.
A crash before the transaction leaves an unused snapshot (production unchanged); a crash
after it leaves the new version in production with its job queued. Never half.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa

from rosterport import blob_keys as keys
from rosterport.domain.changes import (
    ChangeSet,
    FileChanges,
    KnockOn,
    diff,
    knock_on_effects,
)
from rosterport.domain.production_state import (
    drop_row_column,
    empty_state,
    kept_rows,
    next_state,
    next_state_keeping,
    object_key,
)
from rosterport.domain.schemas import DataModel, get_model
from rosterport.domain.validator import Validation
from rosterport.errors import InputError, NotFoundError, ProductionChangedError, StateError
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import versions as store
from rosterport.store.engine import immediate
from rosterport.store.jobs import enqueue

VALIDATION_ERRORS = "Validation Errors"
PENDING = "Pending propagation"
IN_PRODUCTION = "Successfully in production"
PROPAGATION_FAILED = "Propagation failed"
HELD = "Held"
DISCARDED = "Discarded"
PROPAGATE = "propagate"
REMOVED, FILTERED = "removed", "filtered"  # what a safeguard counts


def plural(noun: str, count: int) -> str:
    """`noun` for `count` of them: student → students, class → classes."""
    if count == 1:
        return noun
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in set("aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


@dataclass(frozen=True, slots=True)
class Breach:
    """A safeguard: a file would remove more than its threshold of production records."""

    file: str
    removed: int
    in_production: int
    threshold: float
    noun: str = "record"  # what the file's records are (student, enrollment)
    kind: str = REMOVED  # REMOVED: of production's records; FILTERED: of the file's, by Warn

    def sentence(self) -> str:
        """The command line's words (with the flag that confirms)."""
        share = self.removed / self.in_production
        if self.kind == FILTERED:
            return (
                f"{self.file}: validation filtered out {self.removed:,} of "
                f"{self.in_production:,} records ({share:.0%}, more than the "
                f"{self.threshold:.0%} allowed unattended); approve the version if that is right"
            )
        return (
            f"{self.file}: this upload removes {self.removed:,} of {self.in_production:,} "
            f"records in production ({share:.0%}, more than the {self.threshold:.0%} allowed); "
            "confirm the removals (--allow-deletions) or check the file is complete"
        )

    def reason(self) -> str:
        """The reason alone, in people's words: "this upload removes 201 of 1,005 students
        (20%, more than the 10% allowed)"."""
        return held_reason([self])

    def share(self) -> str:
        """ "201 of 1,005 students (20%, more than the 10% allowed)" """
        share = self.removed / self.in_production
        return (
            f"{self.removed:,} of {self.in_production:,} "
            f"{plural(self.noun, self.in_production)} ({share:.0%}, more than the "
            f"{self.threshold:.0%} allowed)"
        )

    def to_json(self) -> list[Any]:
        return [self.file, self.removed, self.in_production, self.threshold, self.noun, self.kind]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> Breach:
        noun = str(data[4]) if len(data) > 4 else "record"  # sessions saved before nouns
        kind = str(data[5]) if len(data) > 5 else REMOVED
        return cls(str(data[0]), int(data[1]), int(data[2]), float(data[3]), noun, kind)


def held_reason(breaches: Sequence[Breach]) -> str:
    """Why an upload is held, in one clause: "this upload removes 201 of 1,005 students
    (20%, more than the 10% allowed) and 402 of 2,010 enrollments (…)"."""
    removed = [b.share() for b in breaches if b.kind == REMOVED]
    filtered = [b.share() for b in breaches if b.kind == FILTERED]
    parts = [f"this upload removes {' and '.join(removed)}"] if removed else []
    if filtered:
        parts.append(f"validation filtered out {' and '.join(filtered)}")
    return "; ".join(parts) or "a safeguard stopped this upload"


@dataclass(frozen=True, slots=True)
class Cascade:
    """Removed records of one file take the records of another that point to them along:
    the counts, and one sentence per removed record for whoever wants the detail."""

    target: str
    noun: str
    removed: int  # records of `target` removed
    dependent: str
    dependent_noun: str
    dependents: int  # records of `dependent` removed with them
    detail: tuple[str, ...] = ()

    def sentence(self) -> str:
        """ "201 students removed, with their 1,430 enrollments" """
        return (
            f"{self.removed:,} {plural(self.noun, self.removed)} removed, with their "
            f"{self.dependents:,} {plural(self.dependent_noun, self.dependents)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.target,
            "noun": self.noun,
            "removed": self.removed,
            "dependent": self.dependent,
            "dependent_noun": self.dependent_noun,
            "dependents": self.dependents,
            "sentence": self.sentence(),
            "detail": list(self.detail),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cascade:
        return cls(
            str(data["file"]),
            str(data["noun"]),
            int(data["removed"]),
            str(data["dependent"]),
            str(data["dependent_noun"]),
            int(data["dependents"]),
            tuple(str(d) for d in data.get("detail", ())),
        )


@dataclass(frozen=True, slots=True)
class Preview:
    """The changes an upload would make, against the version it was computed from."""

    model: DataModel
    base_version: int | None
    snapshot: str  # where the new state is: a session's staged snapshot, or a version's
    changes: ChangeSet
    breaches: tuple[Breach, ...]
    kept: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, dict[str, int]]:
        return self.changes.counts()

    def verified(self) -> Verified:
        return Verified(
            self.snapshot,
            self.base_version,
            self.counts(),
            self.breaches,
            tuple(self.sentences()),
            self.cascades(),
            {f: n for f, n in self.kept.items() if n},
        )

    def cascades(self) -> tuple[Cascade, ...]:
        """The knock-on effects, counted per pair of files (with each record's sentence)."""
        pairs: dict[tuple[str, str], list[KnockOn]] = {}
        for effect in self.changes.knock_on:
            pairs.setdefault((effect.target, effect.dependent), []).append(effect)
        out = []
        for (target, dependent), effects in pairs.items():
            noun = self.model.file(target).entity
            dependent_noun = self.model.file(dependent).entity
            out.append(
                Cascade(
                    target,
                    noun,
                    self.changes.files[target].removed.height,
                    dependent,
                    dependent_noun,
                    sum(e.count for e in effects),
                    tuple(e.sentence(noun, dependent_noun) for e in effects),
                )
            )
        return tuple(out)

    def sentences(self) -> list[str]:
        """Knock-on effects and filtered records kept, in words."""
        out = []
        for effect in self.changes.knock_on:
            out.append(
                effect.sentence(
                    self.model.file(effect.target).entity,
                    self.model.file(effect.dependent).entity,
                )
            )
        for file, count in self.kept.items():
            if count:
                out.append(
                    f"{file}: {count:,} record(s) removed by validation stay in production "
                    "as they were"
                )
        return out


@dataclass(frozen=True, slots=True)
class Verified:
    """What a commit needs of a preview, small enough to keep in the session: the new
    state's snapshot, the version it was compared with, change counts and safeguards."""

    snapshot: str
    base_version: int | None
    change_counts: dict[str, dict[str, int]]
    breaches: tuple[Breach, ...] = ()
    notes: tuple[str, ...] = ()  # the command line's sentences (one per knock-on effect)
    grouped: tuple[Cascade, ...] = ()
    kept: dict[str, int] = field(default_factory=dict)

    def cascades(self) -> tuple[Cascade, ...]:
        return self.grouped

    def counts(self) -> dict[str, dict[str, int]]:
        return self.change_counts

    def sentences(self) -> list[str]:
        return list(self.notes)

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "base_version": self.base_version,
            "counts": self.change_counts,
            "breaches": [b.to_json() for b in self.breaches],
            "notes": list(self.notes),
            "cascades": [c.to_json() for c in self.grouped],
            "kept": dict(self.kept),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verified:
        return cls(
            data["snapshot"],
            data["base_version"],
            data["counts"],
            tuple(Breach.from_json(b) for b in data["breaches"]),
            tuple(data["notes"]),
            tuple(Cascade.from_json(c) for c in data.get("cascades", ())),
            {str(f): int(n) for f, n in data.get("kept", {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Dataset:
    id: int
    org_id: int
    model: str
    current_version: int | None


def dataset(hub: Hub, org: Organization, model: str) -> Dataset:
    """The organization's dataset of `model`, created empty on first use."""
    get_model(model)
    if model not in org.settings.models:
        raise InputError(f"the data model {model} is not enabled for {org.slug}")
    with immediate(hub.engine).begin() as conn:  # read, then maybe create: one writer
        row = store.dataset_row(conn, org.id, model)
        if row is None:
            row = store.create_dataset(conn, org.id, model)
    return Dataset(row.id, row.org_id, row.model, row.current_version_id)


def current_version(hub: Hub, org: Organization, model: str) -> int | None:
    """The production version of the organization's dataset of `model`, if any (read only:
    no dataset is created)."""
    with hub.engine.connect() as conn:
        return store.current_version(conn, org.id, model)


def version_row(hub: Hub, org: Organization, version_id: int) -> sa.Row[Any]:
    """A version of the organization; InputError when it has none with that id."""
    with hub.engine.connect() as conn:
        row = store.in_org(conn, org.id, version_id)
    if row is None:
        raise NotFoundError(f"{org.slug} has no version {version_id}; see the version history")
    return row


def status(hub: Hub, version_id: int) -> str:
    """A version's status (Pending propagation, Successfully in production, Held…)."""
    with hub.engine.connect() as conn:
        return store.status(conn, version_id)


def snapshot_of(hub: Hub, version_id: int | None) -> str | None:
    """The snapshot prefix of a version (None for "no version yet")."""
    if version_id is None:
        return None
    with hub.engine.connect() as conn:
        return store.snapshot(conn, version_id)


def state_of(hub: Hub, model: DataModel, prefix: str | None, name: str) -> pl.DataFrame:
    """One file's production state in the snapshot at `prefix` (empty when None)."""
    if prefix is None:
        return empty_state(model.file(name))
    return hub.snapshots.read_file(prefix, model, name)


def production_states(
    hub: Hub, model: DataModel, version_id: int | None
) -> dict[str, pl.DataFrame]:
    """Every file's state in `version_id` (empty states when None)."""
    prefix = snapshot_of(hub, version_id)
    return {s.name: state_of(hub, model, prefix, s.name) for s in model.files}


class LazyStates(Mapping[str, pl.DataFrame]):
    """Production states read from a snapshot only when a check asks for one file."""

    def __init__(self, hub: Hub, model: DataModel, prefix: str | None) -> None:
        self._hub, self._model, self._prefix = hub, model, prefix
        self._read: dict[str, pl.DataFrame] = {}

    def __getitem__(self, name: str) -> pl.DataFrame:
        if name not in self._read:
            self._read[name] = state_of(self._hub, self._model, self._prefix, name)
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(s.name for s in self._model.files)

    def __len__(self) -> int:
        return len(self._model.files)


def write_staged(
    hub: Hub,
    model: DataModel,
    base: str | None,
    validation: Validation,
    prefix: str,
) -> dict[str, int]:
    """Write each file's state after the upload under `prefix`, one file at a time; returns
    how many filtered records each file keeps as they were.

    Each file's validated records are taken out of `validation` once used: the caller has no
    further use for them, and dropping them as we go means the largest file is written while
    the smaller ones are already gone (at 1M students: the students' records are freed
    before the enrollments are written)."""
    kept: dict[str, int] = {}
    # of the filtered records only their object keys matter from here: the other columns of
    # every file are freed before any production state is read (at 1M filtered students and
    # their 8M enrollments: about 600 MB)
    kept_keys = {
        name: frame.select(
            # a key column the file left out (optional, e.g. School_id) counts as empty
            pl.col(c) if c in frame.columns else pl.lit(None, pl.String).alias(c)
            for c in object_key(model.file(name))
        )
        for name, frame in validation.filtered.items()
        if frame.height
    }
    validation.filtered.clear()
    for schema in model.files:
        records = validation.records.pop(schema.name, None)
        filtered = kept_keys.pop(schema.name, None)
        if records is None:  # not in the upload: production's file carries over, bytes as they are
            _carry_over(hub, model, base, prefix, schema.name)
            continue
        how = validation.modes.get(schema.name, "absent")
        count = _write_staged_file(
            hub, model, (base, prefix), schema.name, how=how, records=records, kept_keys=filtered
        )
        del records, filtered
        if count is not None:
            kept[schema.name] = count
    hub.snapshots.finish(prefix)
    return kept


def _carry_over(hub: Hub, model: DataModel, base: str | None, prefix: str, name: str) -> None:
    if base is None:
        hub.snapshots.write_file(prefix, model.file(name), empty_state(model.file(name)))
    else:  # snapshots are immutable and read back conformed: a link is the same state
        hub.snapshots.copy_file(base, prefix, name)


def _write_staged_file(
    hub: Hub,
    model: DataModel,
    snapshots: tuple[str | None, str],
    name: str,
    *,
    how: str,
    records: pl.DataFrame,
    kept_keys: pl.DataFrame | None,
) -> int | None:
    """Write one file's next state from production's (`snapshots`: where production is,
    where the staged state goes); returns how many filtered records it keeps (None when
    validation filtered none; `kept_keys`: the object keys of the filtered records).
    Production is read only when the next state depends on it: a Full upload with nothing
    filtered replaces the file whole."""
    base, prefix = snapshots
    schema = model.file(name)
    staged = drop_row_column(records)
    deletes = None
    if how == "delta" and "status" in staged.columns:
        deletes = staged.filter(pl.col("status") == "tobedeleted")
        staged = staged.filter(pl.col("status") != "tobedeleted")
    ids = object_key(schema)
    if how in {"full", "bulk"} and kept_keys is None:
        after = next_state(schema, empty_state(schema), staged, how)
        hub.snapshots.write_file(prefix, schema, after)
        return None
    before = state_of(hub, model, base, name)
    if not before.height:  # nothing in production: nothing to keep, nothing to join
        kept_keys = None if kept_keys is None else kept_keys.clear()
    if kept_keys is None:
        count = None
        after = next_state(schema, before, staged, how, deletes=deletes)
    elif how in {"full", "bulk"}:
        after, count = next_state_keeping(schema, before, staged, kept_keys)
    else:
        count = kept_rows(before.select(ids), kept_keys, ids).height
        after = next_state(schema, before, staged, how, kept=kept_keys, deletes=deletes)
    del before
    hub.snapshots.write_file(prefix, schema, after)
    return count


def preview(
    hub: Hub,
    org: Organization,
    model: DataModel,
    base_version: int | None,
    snapshot: str,
    *,
    kept: dict[str, int] | None = None,
    modes: Mapping[str, str] | None = None,
) -> Preview:
    """Compare the state in `snapshot` with production at `base_version`, file by file.

    Safeguards apply to files whose absent records are removals (Full mode, OneRoster bulk;
    `modes` None: every file, as for a restore); explicit deletions (delta) are not held."""
    base = snapshot_of(hub, base_version)
    files = {}
    sizes = {}
    for schema in model.files:
        files[schema.name], sizes[schema.name] = _file_changes(
            hub, model, (base, snapshot), schema.name, kept=(kept or {}).get(schema.name, 0)
        )
    changes = ChangeSet(files, knock_on_effects(model, files))
    guarded = {n for n in files if modes is None or modes.get(n) in {"full", "bulk"}}
    breaches = tuple(
        Breach(
            name,
            files[name].removed.height,
            sizes[name],
            org.settings.threshold(name),
            model.file(name).entity,
        )
        for name in files
        if name in guarded
        and sizes[name]
        and files[name].removed.height / sizes[name] > org.settings.threshold(name)
    )
    return Preview(model, base_version, snapshot, changes, breaches, dict(kept or {}))


def file_changes(
    hub: Hub, model: DataModel, base_version: int | None, snapshot: str, name: str, *, kept: int
) -> FileChanges:
    """One file's changes, alone, with the names of their records (the change detail
    pages of one file)."""
    before = state_of(hub, model, snapshot_of(hub, base_version), name)
    after = hub.snapshots.read_file(snapshot, model, name)
    changed = diff(model.file(name), before, after, kept=kept)
    del before
    return changed.with_names(model.file(name), after)


def _file_changes(
    hub: Hub, model: DataModel, snapshots: tuple[str | None, str], name: str, *, kept: int
) -> tuple[FileChanges, int]:
    """One file's changes from production to the new state (`snapshots`: where each is) and
    its production size. Its own function so that both states are freed before the next
    file is read: memory holds one file's states at a time."""
    base, snapshot = snapshots
    before = state_of(hub, model, base, name)
    after = hub.snapshots.read_file(snapshot, model, name)
    return diff(model.file(name), before, after, kept=kept), before.height


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the history keeps of an upload attempt, besides the snapshot."""

    committed_by: str
    source: str
    mode: str
    originals: str | None = None
    report: str | None = None
    summary: Mapping[str, int] = field(default_factory=dict)
    detail: Mapping[str, Any] = field(default_factory=dict)
    restored_from: int | None = None


def record_failed(hub: Hub, ds: Dataset, recorded: Recorded) -> int:
    """A version for an upload that failed validation: kept in the history, never current."""
    with hub.engine.begin() as conn:
        return _insert_version(
            conn, hub, ds, recorded, status=VALIDATION_ERRORS, base=None, snapshot=None, changes={}
        )


def commit(
    hub: Hub,
    ds: Dataset,
    result: Verified,
    recorded: Recorded,
    *,
    allow_deletions: bool = False,
    target: str | None = None,
) -> tuple[int, str]:
    """Write the snapshot, then commit atomically (or hold when a safeguard is breached).

    A session's staged state moves to `target` (default: a new prefix); when it is not
    there any more, an earlier attempt with the same target already moved it. Returns
    (version id, status). ProductionChangedError when production moved since the preview.
    """
    prefix = result.snapshot
    if keys.is_session_key(prefix):  # a session's staged state becomes the version's
        prefix = target or keys.new_snapshot()
        if _has_blobs(hub, result.snapshot) or not _has_blobs(hub, prefix):
            hub.blobs.move_prefix(result.snapshot, prefix)
    hub.crash_point("after-snapshot")
    counts = result.counts()
    if result.breaches and not allow_deletions:
        with hub.engine.begin() as conn:
            held = _insert_version(
                conn,
                hub,
                ds,
                recorded,
                status=HELD,
                base=result.base_version,
                snapshot=prefix,
                changes=counts,
                extra={
                    "breaches": [b.sentence() for b in result.breaches],
                    "safeguards": [b.to_json() for b in result.breaches],
                },
            )
        return held, HELD
    with hub.engine.begin() as conn:
        version_id = _insert_version(
            conn,
            hub,
            ds,
            recorded,
            status=PENDING,
            base=result.base_version,
            snapshot=prefix,
            changes=counts,
        )
        hub.crash_point("after-version-insert")
        _move_pointer(conn, ds.id, result.base_version, version_id)
        enqueue(conn, PROPAGATE, {"version_id": version_id}, now=hub.clock())
        hub.crash_point("before-transaction-commit")
    hub.crash_point("after-commit")
    return version_id, PENDING


def _has_blobs(hub: Hub, prefix: str) -> bool:
    return next(iter(hub.blobs.keys(prefix)), None) is not None


def version_with_snapshot(hub: Hub, ds: Dataset, prefix: str) -> tuple[int, str] | None:
    """The version of the dataset whose snapshot is at `prefix` (id, status), if any."""
    with hub.engine.connect() as conn:
        return store.with_snapshot(conn, ds.id, prefix)


def approve(hub: Hub, org: Organization, version_id: int) -> int:
    """Commit a held version (its preview's base must still be production)."""
    row = version_row(hub, org, version_id)
    if row.status != HELD:
        raise StateError(f"version {version_id} is {row.status}, not Held: nothing to approve")
    with hub.engine.begin() as conn:
        _move_pointer(conn, row.dataset_id, row.base_version_id, version_id)
        store.set_status(conn, version_id, PENDING)
        enqueue(conn, PROPAGATE, {"version_id": version_id}, now=hub.clock())
    return version_id


def retry_propagation(hub: Hub, org: Organization, version_id: int) -> int:
    """Queue the propagation of a version whose propagation failed (the queue gave up after
    its attempts) once more; the new job's id. The version is Pending propagation again
    until the job ends; a second retry of the same version meanwhile is refused."""
    row = version_row(hub, org, version_id)
    if row.status != PROPAGATION_FAILED:
        raise StateError(
            f"version {version_id} is {row.status}, not {PROPAGATION_FAILED}: nothing to retry"
        )
    with hub.engine.begin() as conn:
        moved = store.set_status(conn, version_id, PENDING, expected=PROPAGATION_FAILED)
        if not moved:  # another retry got there first
            raise StateError(f"version {version_id} is being propagated again already")
        return enqueue(conn, PROPAGATE, {"version_id": version_id}, now=hub.clock())


def discard(hub: Hub, org: Organization, version_id: int) -> None:
    """Drop a held version: it stays in the history as Discarded."""
    row = version_row(hub, org, version_id)
    if row.status != HELD:
        raise StateError(f"version {version_id} is {row.status}, not Held: it cannot be discarded")
    with hub.engine.begin() as conn:
        store.set_status(conn, version_id, DISCARDED)


def _move_pointer(conn: sa.Connection, dataset_id: int, base: int | None, version_id: int) -> None:
    """Compare-and-set the dataset's current version from `base` to `version_id`."""
    if not store.move_pointer(conn, dataset_id, base, version_id):
        raise ProductionChangedError(
            "production changed since your preview (another version was committed); "
            "validate again to see the changes against the new production data"
        )


def _insert_version(
    conn: sa.Connection,
    hub: Hub,
    ds: Dataset,
    recorded: Recorded,
    *,
    status: str,
    base: int | None,
    snapshot: str | None,
    changes: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> int:
    detail = {**recorded.detail, **(extra or {})}
    return store.insert(
        conn,
        dataset_id=ds.id,
        org_id=ds.org_id,
        model=ds.model,
        created_at=hub.clock(),
        committed_by=recorded.committed_by,
        source=recorded.source,
        mode=recorded.mode,
        status=status,
        base_version_id=base,
        restored_from=recorded.restored_from,
        snapshot=snapshot,
        originals=recorded.originals,
        report=recorded.report,
        changes=dict(changes),
        summary=dict(recorded.summary),
        detail=detail,
    )
