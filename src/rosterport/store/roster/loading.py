"""Loading a version into the roster store: which dataset is the roster source and whose
district a load is for, objects (with their links) written, removed and turned into
tombstones, the modified dates a load compares with, and fresh statistics after a bulk load."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from rosterport.store.bulk import chunks, insert_frame
from rosterport.store.roster.rows import (
    ACTIVE,
    BATCH,
    INDEX_COLUMNS,
    LINK_COLUMNS,
    OBJECT_COLUMNS,
    TOBEDELETED,
    Place,
)
from rosterport.store.tables import organizations, roster_links, roster_objects, versions


def first_committed(
    conn: sa.Connection, org_id: int, *, models: Sequence[str], statuses: Sequence[str]
) -> int | None:
    """The dataset of the organization's first version of `models` with one of `statuses`
    (the roster source)."""
    found = conn.execute(
        sa.select(versions.c.dataset_id)
        .where(
            versions.c.org_id == org_id,
            versions.c.model.in_(list(models)),
            versions.c.status.in_(list(statuses)),
        )
        .order_by(versions.c.id)
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def district_and_commit(
    conn: sa.Connection, org_id: int, version_id: int
) -> tuple[str, str, datetime]:
    """(slug, name) of the organization and the commit time of the version."""
    org = conn.execute(
        sa.select(organizations.c.slug, organizations.c.name).where(organizations.c.id == org_id)
    ).one()
    committed_at = conn.execute(
        sa.select(versions.c.created_at).where(versions.c.id == version_id)
    ).scalar_one()
    return str(org.slug), str(org.name), committed_at


def write_objects(conn: sa.Connection, place: Place, collection: str, frame: pl.DataFrame) -> int:
    """Insert objects (their keys must not be in the generation yet) and their links.

    `frame`: the mapping's columns (`sourcedId`, `json`, `schools`, index columns, `terms`)
    plus `status`, `modified` (aware UTC datetime) and `version_id`."""
    if not frame.height:
        return 0
    insert_frame(conn, "roster_objects", OBJECT_COLUMNS, _object_frame(place, collection, frame))
    insert_frame(conn, "roster_links", LINK_COLUMNS, _link_frame(place, collection, frame))
    return frame.height


def delete_objects(conn: sa.Connection, place: Place, collection: str, keys: Sequence[str]) -> None:
    """Delete the objects of `keys` and their links (absent keys are ignored)."""
    for table in (roster_objects, roster_links):
        for chunk in chunks(keys, BATCH):
            conn.execute(
                sa.delete(table).where(
                    table.c.dataset_id == place.dataset_id,
                    table.c.generation == place.generation,
                    table.c.collection == collection,
                    table.c.sourced_id.in_(chunk),
                )
            )


def mark_deleted(
    conn: sa.Connection,
    place: Place,
    collection: str,
    keys: Sequence[str],
    *,
    when: datetime,
    version_id: int,
) -> None:
    """Turn the objects of `keys` into tombstones, changed at `when` by `version_id`."""
    for chunk in chunks(keys, BATCH):
        conn.execute(
            sa.update(roster_objects)
            .where(
                roster_objects.c.dataset_id == place.dataset_id,
                roster_objects.c.generation == place.generation,
                roster_objects.c.collection == collection,
                roster_objects.c.sourced_id.in_(chunk),
                roster_objects.c.status == ACTIVE,
            )
            .values(status=TOBEDELETED, date_last_modified=when, version_id=version_id)
        )


def modified_dates(conn: sa.Connection, place: Place, collection: str) -> pl.DataFrame:
    """`sourcedId`, `status`, `modified`, `version_id` of every object of a collection."""
    o = roster_objects.c
    result = conn.execute(
        sa.select(o.sourced_id, o.status, o.date_last_modified, o.version_id).where(
            o.dataset_id == place.dataset_id,
            o.generation == place.generation,
            o.collection == collection,
        )
    ).all()
    return pl.DataFrame(
        {
            "sourcedId": [r[0] for r in result],
            "status": [r[1] for r in result],
            "modified": [r[2] for r in result],
            "version_id": [r[3] for r in result],
        },
        schema={
            "sourcedId": pl.String,
            "status": pl.String,
            "modified": pl.Datetime("us", "UTC"),
            "version_id": pl.Int64,
        },
    )


def analyze(conn: sa.Connection) -> None:
    """PostgreSQL: fresh planner statistics after a bulk load (without them a query over a
    freshly loaded generation may be planned as over an empty table)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE roster_objects")
        conn.exec_driver_sql("ANALYZE roster_links")


def _object_frame(place: Place, collection: str, frame: pl.DataFrame) -> pl.DataFrame:
    index = [
        (pl.col(src).cast(pl.String) if src in frame.columns else pl.lit(None, pl.String)).alias(
            dst
        )
        for src, dst in INDEX_COLUMNS.items()
    ]
    return frame.select(
        pl.lit(place.org_id, pl.Int64).alias("org_id"),
        pl.lit(place.dataset_id, pl.Int64).alias("dataset_id"),
        pl.lit(place.generation, pl.Int64).alias("generation"),
        pl.lit(collection, pl.String).alias("collection"),
        pl.col("sourcedId").alias("sourced_id"),
        pl.col("status"),
        pl.col("modified").alias("date_last_modified"),
        pl.col("version_id").cast(pl.Int64),
        pl.col("json").alias("data"),
        *index,
    ).sort("sourced_id")


def _link_frame(place: Place, collection: str, frame: pl.DataFrame) -> pl.DataFrame:
    parts = []
    for kind, column in (("school", "schools"), ("term", "terms")):
        if column not in frame.columns:
            continue
        parts.append(
            frame.select(pl.col("sourcedId").alias("sourced_id"), pl.col(column).alias("target"))
            .explode("target")
            .drop_nulls("target")
            .unique()
            .with_columns(pl.lit(kind, pl.String).alias("kind"))
        )
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(LINK_COLUMNS, pl.String))
    links = pl.concat(parts)
    return links.select(
        pl.lit(place.dataset_id, pl.Int64).alias("dataset_id"),
        pl.lit(place.generation, pl.Int64).alias("generation"),
        pl.lit(collection, pl.String).alias("collection"),
        pl.col("sourced_id"),
        pl.col("kind"),
        pl.col("target").cast(pl.String),
    ).sort("kind", "target", "sourced_id")
