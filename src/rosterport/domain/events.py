"""Change events of the canonical roster (spec/roster-delivery.md §3), derived column by
column from two states of a collection (no I/O).

A collection's objects are frames with `sourcedId` and `json` (the object as the roster
store keeps it). Between a state `before` and a state `after`:

- `<collection>.created`: only in `after`; `data` its JSON;
- `<collection>.updated`: in both with a different JSON; `data` the new JSON, `previous` the
  old values of the fields that changed (a field the new object no longer has, or did not
  have before, is there with its old value or null);
- `<collection>.deleted`: only in `before`; `data` its last JSON.

A first load is summed up by one `roster.loaded` marker (`loaded_marker`) unless the
organization asks for every object as a `created` event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"
LOADED = "roster.loaded"
COMMITTED = "roster.version.committed"  # the webhook payload's type
COLLECTIONS: tuple[str, ...] = (
    "orgs",
    "users",
    "classes",
    "courses",
    "academicSessions",
    "enrollments",
    "demographics",
)

SCHEMA: dict[str, Any] = {
    "type": pl.String,
    "collection": pl.String,
    "sourced_id": pl.String,
    "data": pl.String,
    "previous": pl.String,
}


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def previous_values(old: str, new: str) -> str:
    """The old values of the fields that differ between two objects' JSON, as JSON."""
    before: dict[str, Any] = json.loads(old)
    after: dict[str, Any] = json.loads(new)
    changed = {
        k: before.get(k)
        for k in sorted(before.keys() | after.keys())
        if before.get(k) != after.get(k)
    }
    return json.dumps(changed, separators=(",", ":"), ensure_ascii=False)


def diff(collection: str, before: pl.DataFrame | None, after: pl.DataFrame) -> pl.DataFrame:
    """The events that take `before` to `after` (columns of `SCHEMA`)."""
    if before is None or not before.height:
        return of_change(collection, None, after, [])
    old = before.select("sourcedId", pl.col("json").alias("__old"))
    joined = after.join(old, on="sourcedId", how="left")
    upserts = joined.filter(pl.col("__old").is_null() | (pl.col("__old") != pl.col("json")))
    removed = before.join(after.select("sourcedId"), on="sourcedId", how="anti")
    return of_change(
        collection, before, upserts.drop("__old"), removed.get_column("sourcedId").to_list()
    )


def of_change(
    collection: str, before: pl.DataFrame | None, upserts: pl.DataFrame, removed: list[str]
) -> pl.DataFrame:
    """The events of a change already found: `upserts` the added or changed objects of the
    new state, `removed` the keys gone; `before` the old state, of which only the rows of
    those keys are read (deletions first, then creations and updates, each by sourcedId)."""
    new = upserts.select(pl.col("sourcedId").alias("sourced_id"), pl.col("json").alias("data"))
    if before is None or not before.height:
        created = new.with_columns(pl.lit(None, pl.String).alias("previous"))
        return _typed(created, collection, CREATED)
    keys = pl.concat(
        [
            new.select("sourced_id"),
            pl.DataFrame({"sourced_id": removed}, schema={"sourced_id": pl.String}),
        ]
    )
    old = before.select(
        pl.col("sourcedId").alias("sourced_id"), pl.col("json").alias("__old")
    ).join(keys, on="sourced_id", how="semi")
    joined = new.join(old, on="sourced_id", how="full", coalesce=True)
    deleted = joined.filter(pl.col("data").is_null()).select(
        "sourced_id", pl.col("__old").alias("data"), pl.lit(None, pl.String).alias("previous")
    )
    created = joined.filter(pl.col("__old").is_null()).select(
        "sourced_id", "data", pl.lit(None, pl.String).alias("previous")
    )
    changed = joined.filter(
        pl.col("data").is_not_null()
        & pl.col("__old").is_not_null()
        & (pl.col("data") != pl.col("__old"))
    )
    previous = [
        previous_values(o, n)
        for o, n in zip(
            changed.get_column("__old").to_list(), changed.get_column("data").to_list(), strict=True
        )
    ]
    updated = changed.select("sourced_id", "data").with_columns(
        pl.Series("previous", previous, pl.String)
    )
    return pl.concat(
        [
            _typed(deleted, collection, DELETED),
            _typed(created, collection, CREATED),
            _typed(updated, collection, UPDATED),
        ]
    )


def _typed(frame: pl.DataFrame, collection: str, kind: str) -> pl.DataFrame:
    return frame.sort("sourced_id").select(
        pl.lit(f"{collection}.{kind}", pl.String).alias("type"),
        pl.lit(collection, pl.String).alias("collection"),
        pl.col("sourced_id").cast(pl.String),
        pl.col("data").cast(pl.String),
        pl.col("previous").cast(pl.String),
    )


def loaded_marker(version_id: int, counts: Mapping[str, int]) -> pl.DataFrame:
    """The one event of a first load: what was loaded (readers start from the REST API)."""
    data = {"version": version_id, "counts": dict(sorted(counts.items()))}
    return pl.DataFrame(
        {
            "type": [LOADED],
            "collection": [None],
            "sourced_id": [None],
            "data": [json.dumps(data, separators=(",", ":"))],
            "previous": [None],
        },
        schema=SCHEMA,
    )


def counts(frame: pl.DataFrame) -> dict[str, dict[str, int]]:
    """collection → {created, updated, deleted} of an events frame (marker left out)."""
    out: dict[str, dict[str, int]] = {}
    rows = frame.filter(pl.col("collection").is_not_null()).group_by("type").len().rows()
    for event_type, n in sorted(rows):
        collection, _, kind = str(event_type).rpartition(".")
        out.setdefault(collection, {CREATED: 0, UPDATED: 0, DELETED: 0})[kind] = int(n)
    return out
