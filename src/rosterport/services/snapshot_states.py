"""The states of a dataset's files in snapshots: production's, read one file at a time
(`state_of`, `LazyStates`); an upload's next state, written beside it (`write_staged`); and
the two compared, file by file (`preview`, `file_changes`).

Memory holds one file's states at a time: each file is read, written or compared and let
go before the next (at 1M students, the students' states are freed before the enrollments'
are read).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import polars as pl

from rosterport.domain.changes import ChangeSet, FileChanges, diff, knock_on_effects
from rosterport.domain.preview import Breach, Preview
from rosterport.domain.production_state import (
    drop_row_column,
    empty_state,
    kept_rows,
    next_state,
    next_state_keeping,
    object_key,
)
from rosterport.domain.schemas import DataModel
from rosterport.domain.validator import Validation
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import versions as store


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
