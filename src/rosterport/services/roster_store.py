"""The roster store as a consumer of propagation (spec/roster-delivery.md §1, §5).

For the dataset that is its organization's **roster source** (the first roster-type dataset
committed: passport-roster, passport-identity or oneroster-1.1), the propagation job brings
the roster store to the target version, inside the dataset's held state (`read_models`):

- the OneRoster objects of the previously held version and of the target are computed by
  the domain mapping (`to_roster`) and compared by sourcedId and JSON, column by column;
- added and changed objects are written with `dateLastModified` = the commit time of the
  target version; removed ones become tombstones (`tobedeleted`) of that time; tombstones
  older than the retention (`ROSTERPORT_TOMBSTONE_DAYS`) are purged;
- a first load or a large change is written as the new generation (unchanged objects keep
  their dates, recent tombstones are carried over), swapped in by one small update;
- the change's events (services/events.py) are written in the transaction that makes it
  visible (`apply`'s, or the generation swap: `publish`), and the store's ledger row
  (`roster-store`) says it holds the version.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl
import sqlalchemy as sa

from rosterport.domain import events as domain_events
from rosterport.domain.schemas import DataModel
from rosterport.domain.version_status import IN_PRODUCTION, PENDING, PROPAGATION_FAILED
from rosterport.services import events
from rosterport.services.hub import Hub, RosterMapping
from rosterport.services.organizations import org_by_id
from rosterport.services.snapshot_states import LazyStates, snapshot_of
from rosterport.store import ledger
from rosterport.store.roster import generations, loading, tombstones
from rosterport.store.roster.rows import ACTIVE, TOBEDELETED, Place

ROSTER_MODELS = ("passport-roster", "passport-identity", "oneroster-1.1")
COMMITTED = (PENDING, IN_PRODUCTION, PROPAGATION_FAILED)
CONSUMER = "roster-store"  # the store's rows in the delivery ledger
CHUNK = 25_000  # objects (with their links) per transaction of a generation load: short


def domain_mapping() -> RosterMapping | None:
    """`rosterport.domain.roster.to_roster` as a RosterMapping (None until it exists)."""
    try:
        module = importlib.import_module("rosterport.domain.roster")
    except ModuleNotFoundError:
        return None

    def mapping(
        model: str, states: Mapping[str, pl.DataFrame], district_id: str, name: str
    ) -> dict[str, pl.DataFrame]:
        frames: dict[str, pl.DataFrame] = module.to_roster(
            model, states, module.District(sourced_id=district_id, name=name)
        )
        return frames

    return mapping


def roster_source(conn: sa.Connection, org_id: int) -> int | None:
    """The organization's roster source dataset: the first roster-type dataset committed."""
    return loading.first_committed(conn, org_id, models=ROSTER_MODELS, statuses=COMMITTED)


@dataclass(frozen=True, slots=True)
class Plan:
    """What the roster store of one propagation job brings in."""

    mapping: RosterMapping
    org_id: int
    dataset_id: int
    model: DataModel
    version_id: int
    committed_at: datetime  # the target version's commit time: dateLastModified of changes
    district: tuple[str, str]  # (sourcedId, name) of the district org
    org_slug: str = ""
    events_on_first_load: bool = False  # the organization's setting

    def frames(self, hub: Hub, prefix: str | None) -> dict[str, pl.DataFrame]:
        """The OneRoster objects of the state at snapshot `prefix` (None: nothing)."""
        if prefix is None:
            return {}
        states = LazyStates(hub, self.model, prefix)
        return self.mapping(self.model.name, states, *self.district)


def plan(
    hub: Hub, *, org_id: int, dataset_id: int, model: DataModel, version_id: int
) -> Plan | None:
    """The roster step of a job, or None when the dataset is not its organization's roster
    source (or no mapping exists)."""
    mapping = hub.roster_mapping or domain_mapping()
    if mapping is None or model.name not in ROSTER_MODELS:
        return None
    with hub.engine.connect() as conn:
        if roster_source(conn, org_id) != dataset_id:
            return None
        slug, name, committed_at = loading.district_and_commit(conn, org_id, version_id)
    district = (f"district-{slug}", name)  # stable: the organization's slug never changes
    full = org_by_id(hub, org_id).settings.events_on_first_load
    return Plan(mapping, org_id, dataset_id, model, version_id, committed_at, district, slug, full)


@dataclass(frozen=True, slots=True)
class Change:
    """One collection's change: objects to write, keys to tombstone."""

    collection: str
    upserts: pl.DataFrame
    removed: list[str]
    events: pl.DataFrame = field(default_factory=domain_events.empty)


def _stamped(frame: pl.DataFrame, status: str, when: datetime, version_id: int) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(status).alias("status"),
        pl.lit(when, pl.Datetime("us", "UTC")).alias("modified"),
        pl.lit(version_id, pl.Int64).alias("version_id"),
    )


def _compare(before: pl.DataFrame | None, after: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """(added or changed objects of `after`, keys only in `before`), by sourcedId + JSON."""
    if before is None or not before.height:
        return after, []
    old = before.select("sourcedId", pl.col("json").alias("__old"))
    joined = after.join(old, on="sourcedId", how="left")
    upserts = joined.filter(pl.col("__old").is_null() | (pl.col("__old") != pl.col("json"))).drop(
        "__old"
    )
    removed = before.join(after.select("sourcedId"), on="sourcedId", how="anti")
    return upserts, removed.get_column("sourcedId").to_list()


def changes(hub: Hub, p: Plan, held_version: int | None, limit: int) -> list[Change] | None:
    """The changes from the held version to the target, or None when they exceed `limit`
    (then the caller loads a new generation)."""
    before = p.frames(hub, snapshot_of(hub, held_version))
    after = p.frames(hub, snapshot_of(hub, p.version_id))
    out = []
    total = 0
    for collection in sorted(set(before) | set(after)):
        target = after.get(collection)
        if target is None:
            target = before[collection].clear()
        upserts, removed = _compare(before.get(collection), target)
        total += upserts.height + len(removed)
        if total > limit:
            return None
        found = domain_events.of_change(collection, before.get(collection), upserts, removed)
        out.append(Change(collection, upserts, removed, found))
    return out


def is_loaded(hub: Hub, dataset_id: int, generation: int) -> bool:
    """Whether the store holds rows of the dataset's generation (a dataset propagated before
    the roster store existed has none: it is loaded whole)."""
    with hub.engine.connect() as conn:
        return generations.has_objects(conn, dataset_id=dataset_id, generation=generation)


def apply(hub: Hub, conn: sa.Connection, p: Plan, planned: list[Change], generation: int) -> None:
    """Write the changes into the visible generation, in the caller's transaction."""
    place = Place(p.org_id, p.dataset_id, generation)
    for change in planned:
        keys = change.upserts.get_column("sourcedId").to_list()
        loading.delete_objects(conn, place, change.collection, keys)
        loading.write_objects(
            conn,
            place,
            change.collection,
            _stamped(change.upserts, ACTIVE, p.committed_at, p.version_id),
        )
        loading.mark_deleted(
            conn,
            place,
            change.collection,
            change.removed,
            when=p.committed_at,
            version_id=p.version_id,
        )
    tombstones.purge_tombstones(conn, place, before=_retention(hub))
    publish(hub, conn, p, pl.concat([change.events for change in planned]))


def gave_up(
    hub: Hub,
    conn: sa.Connection,
    version_id: int,
    *,
    org_id: int,
    dataset_id: int,
    error: Exception,
) -> None:
    """The propagation of a roster source's version gave up: the store's ledger row says so."""
    if roster_source(conn, org_id) == dataset_id:
        ledger.record(conn, version_id, CONSUMER, state="failed", now=hub.clock(), error=str(error))


def publish(hub: Hub, conn: sa.Connection, p: Plan, found: pl.DataFrame | None) -> None:
    """Write the version's events (None: a first load's marker) and the store's ledger row,
    in the transaction that makes the version visible."""
    events.publish(
        hub,
        conn,
        org_id=p.org_id,
        org_slug=p.org_slug,
        version_id=p.version_id,
        occurred_at=p.committed_at,
        events=domain_events.empty() if found is None else found,
    )
    ledger.record(conn, p.version_id, CONSUMER, state="done", now=hub.clock())


def _retention(hub: Hub) -> datetime:
    return hub.clock() - timedelta(days=hub.tombstone_days)


def load(hub: Hub, p: Plan, held_version: int | None, *, old: int, new: int) -> pl.DataFrame:
    """Write the target's whole roster as generation `new` (in chunks, each its own
    transaction): unchanged objects keep their date, removed ones become tombstones, recent
    tombstones of generation `old` are carried over. The change's events, for `publish` in
    the swap: from the held version's roster, or for a first load one `roster.loaded` marker
    (every object `created` when the organization asks for it)."""
    before = p.frames(hub, snapshot_of(hub, held_version)) if held_version else {}
    after = p.frames(hub, snapshot_of(hub, p.version_id))
    with hub.engine.begin() as conn:
        generations.clear_generation(conn, dataset_id=p.dataset_id, generation=new)
    place = Place(p.org_id, p.dataset_id, new)
    for collection in sorted(set(before) | set(after)):
        target = after.get(collection)
        if target is None:
            target = before[collection].clear()
        stamped = _stamped(target, ACTIVE, p.committed_at, p.version_id)
        previous = before.get(collection)
        if previous is not None and previous.height:
            with hub.engine.connect() as conn:
                prior = loading.modified_dates(
                    conn, Place(p.org_id, p.dataset_id, old), collection
                ).filter(pl.col("status") == ACTIVE)
            same = (
                previous.select("sourcedId", pl.col("json").alias("__old"))
                .join(prior.drop("status"), on="sourcedId")
                .rename({"modified": "__modified", "version_id": "__version"})
            )
            unchanged = pl.col("__old").is_not_null() & (pl.col("__old") == pl.col("json"))
            stamped = (
                stamped.join(same, on="sourcedId", how="left")
                .with_columns(
                    pl.when(unchanged)
                    .then(pl.col("__modified"))
                    .otherwise(pl.col("modified"))
                    .alias("modified"),
                    pl.when(unchanged)
                    .then(pl.col("__version"))
                    .otherwise(pl.col("version_id"))
                    .alias("version_id"),
                )
                .drop("__old", "__modified", "__version")
            )
            gone = previous.join(target.select("sourcedId"), on="sourcedId", how="anti")
            stamped = pl.concat(
                [stamped, _stamped(gone, TOBEDELETED, p.committed_at, p.version_id)],
                how="diagonal_relaxed",
            )
        for start in range(0, stamped.height, CHUNK):
            with hub.engine.begin() as conn:
                loading.write_objects(conn, place, collection, stamped.slice(start, CHUNK))
    with hub.engine.begin() as conn:
        tombstones.copy_tombstones(
            conn, p.dataset_id, source=old, target=new, since=_retention(hub)
        )
    with hub.engine.begin() as conn:  # before the swap: readers of it get good plans
        loading.analyze(conn)
    return _load_events(p, before if held_version else None, after)


def _load_events(
    p: Plan, before: dict[str, pl.DataFrame] | None, after: dict[str, pl.DataFrame]
) -> pl.DataFrame:
    if before is None and not p.events_on_first_load:
        sizes = {c: frame.height for c, frame in after.items()}
        return domain_events.loaded_marker(p.version_id, sizes)
    parts = [domain_events.empty()]
    before = before or {}
    for collection in sorted(set(before) | set(after)):
        target = after.get(collection)
        if target is None:
            target = before[collection].clear()
        parts.append(domain_events.diff(collection, before.get(collection), target))
    return pl.concat(parts)


def drop_other_generations(hub: Hub, dataset_id: int, *, keep: int) -> None:
    """Delete the store's rows of every generation but `keep`, a chunk per transaction."""
    while True:
        with hub.engine.begin() as conn:
            if generations.drop_other_generations(conn, dataset_id=dataset_id, keep=keep) == 0:
                return
