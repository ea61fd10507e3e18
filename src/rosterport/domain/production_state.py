"""Production states: what a file's records in production are, how a record is keyed
there, and what the state becomes after an upload (`next_state`: Full, Incremental, and
OneRoster bulk/delta/absent). Joins over whole columns. A record that validation filtered out
(Warn) is never removed from production: it stays as it was (`kept`)."""

from __future__ import annotations

import polars as pl

from rosterport.domain.inputs import ROW
from rosterport.domain.schemas.model import FileSchema


def production_columns(schema: FileSchema) -> list[str]:
    """The columns a file's production state keeps (every schema column, normalized)."""
    return list(schema.column_names)


def empty_state(schema: FileSchema) -> pl.DataFrame:
    """A production state with no records."""
    return pl.DataFrame(schema=dict.fromkeys(production_columns(schema), pl.String))


def conform_state(schema: FileSchema, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with exactly the production columns (missing ones as nulls), as strings."""
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(pl.String).alias(c)
        for c in production_columns(schema)
    )


def state_key(schema: FileSchema) -> list[str]:
    """The columns that identify a record in production: the file's key, else its declared
    identity, else every column that is not a secret. Key parts may be empty (null): joins
    on them treat nulls as equal."""
    if schema.key:
        return list(schema.key)
    if schema.identity:
        return list(schema.identity)
    return [c.name for c in schema.columns if not c.secret]


def object_key(schema: FileSchema) -> list[str]:
    """The columns naming the person or object a record is about (its declared object key,
    else its state key): what a filtered record protects in production."""
    return list(schema.object_key) if schema.object_key else state_key(schema)


def next_state(
    schema: FileSchema,
    current: pl.DataFrame,
    staged: pl.DataFrame,
    how: str,
    *,
    kept: pl.DataFrame | None = None,
    deletes: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """A file's production state after this upload.

    - `full` / `bulk`: the staged records are the complete set; production records of the
      people or objects in `kept` (the object keys of records that validation filtered out,
      `object_key`) stay as they are, whatever the other key parts of the filtered row
      said (a student's mistyped School_id does not remove the student at the real school).
    - `incremental` / `delta`: staged records are added or replace the record with their key;
      nothing else changes, except the keys in `deletes` (OneRoster `tobedeleted`).
    - `absent` (or a file not in the upload): production is unchanged.
    """
    key = state_key(schema)
    staged = conform_state(schema, staged)
    if how == "absent":
        return current
    if how in {"full", "bulk"}:
        return staged if kept is None else next_state_keeping(schema, current, staged, kept)[0]
    base = current
    if not base.height:
        return staged
    untouched = (  # nothing staged (every row filtered): no join, no copy of production
        base.join(staged.select(key), on=key, how="anti", nulls_equal=True)
        if staged.height
        else base
    )
    if deletes is not None and deletes.height:
        untouched = untouched.join(deletes.select(key), on=key, how="anti", nulls_equal=True)
    return pl.concat([untouched, staged], how="vertical") if staged.height else untouched


def next_state_keeping(
    schema: FileSchema, current: pl.DataFrame, staged: pl.DataFrame, kept: pl.DataFrame
) -> tuple[pl.DataFrame, int]:
    """`next_state(…, "full", kept=kept)` and how many production records it keeps as they
    were, with one join: a Full upload whose filtered records keep theirs is the staged
    records added to, or replacing, the kept production rows."""
    ids = object_key(schema)
    base = kept_rows(current, kept.select(ids), ids)
    return next_state(schema, base, staged, "incremental"), base.height


def kept_rows(current: pl.DataFrame, kept: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """The rows of `current` whose object key is in `kept`, each once (however often its key
    is in `kept`). The join runs on the key columns only; when every row is kept (every
    record of the file filtered) `current` itself is returned, not a copy of it."""
    if not kept.height or not current.height:
        return current.clear()
    # joined on a 128-bit fingerprint of the key (two 64-bit hashes with other seeds), not on
    # the strings: at 8M enrollments the string join took 28 s and 1.5 GB, this one a second
    # and a few hundred MB; two different keys sharing both hashes is not a practical risk
    found = (
        _fingerprint(current, ids)
        .with_row_index("__row")
        .join(_fingerprint(kept, ids), on="__key", how="semi")
        .get_column("__row")
    )
    if found.len() == current.height:
        return current
    return current[found.sort()]


def _fingerprint(frame: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """One UInt128 column: two 64-bit hashes of the key with other seeds (null parts hash
    alike: nulls equal, as in the other key joins). One fixed-width column joins fastest."""
    key = pl.struct(ids)
    high = key.hash(seed=1).cast(pl.UInt128) * pl.lit(2**64, pl.UInt128)
    return frame.select((high + key.hash(seed=2).cast(pl.UInt128)).alias("__key"))


def drop_row_column(frame: pl.DataFrame) -> pl.DataFrame:
    """A validated record frame without its spreadsheet row column."""
    return frame.drop(ROW) if ROW in frame.columns else frame
