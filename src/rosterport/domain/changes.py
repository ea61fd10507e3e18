"""Change sets: what a version adds, updates and removes, per file, and what follows from it.

`diff` compares two production states of a file (`production_state`) on the file's key, over
whole columns; `knock_on_effects` says which removals follow from others. A record that
validation filtered out (Warn) stays in production as it was, and the change set counts it
as `kept`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from rosterport.domain.checks.issueframe import MASK
from rosterport.domain.production_state import production_columns, state_key
from rosterport.domain.schemas.model import DataModel, FileSchema

OP = "change"
ADDED, UPDATED, REMOVED = "added", "updated", "removed"


@dataclass(frozen=True, slots=True)
class FileChanges:
    """One file's changes: keys of records added, whole records removed, field changes of
    updated ones.

    `updated` is long: the key columns, then `column`, `old`, `new` — one row per changed
    field, secrets masked (old and new both "••••": the detail says only that it changed).
    """

    file: str
    key: tuple[str, ...]
    added: pl.DataFrame
    removed: pl.DataFrame
    updated: pl.DataFrame
    updated_records: int
    kept: int = 0
    # the key columns and `name` of the new state's records (`with_names`): None until
    # asked for, so that previews, which count only, never build it
    names: pl.DataFrame | None = None

    def with_names(self, schema: FileSchema, new: pl.DataFrame) -> FileChanges:
        """These changes with the names of their records (`new`: the new state, where the
        added and updated records are; removed records carry theirs)."""
        name = record_name(schema)
        if name is None:
            return self
        # the whole new state's keys and names (its key columns are shared, not copied):
        # one join per kind of change in `detail` costs less than first picking the
        # touched records out (a key is unique in a production state)
        return replace(self, names=new.select(*self.key, name.alias("name")))

    def counts(self) -> dict[str, int]:
        return {
            ADDED: self.added.height,
            UPDATED: self.updated_records,
            REMOVED: self.removed.height,
        }

    def page(self, offset: int = 0, limit: int = 100, change: str | None = None) -> pl.DataFrame:
        """One page of `detail()`, optionally only one kind of change (added, updated,
        removed): what a preview table shows at a time."""
        rows = self.detail()
        if change is not None:
            rows = rows.filter(pl.col(OP) == change)
        return rows.slice(offset, limit)

    def detail(self, schema: FileSchema | None = None) -> pl.DataFrame:
        """Every change as rows: `change`, `key`, `name`, `column`, `old`, `new` (paged by
        the UI). `name` is the person's or object's name (`record_name`) when the file has
        one: of added and updated records from `names` (`with_names`), of removed ones from
        their own columns (with `schema`); null otherwise."""
        key = list(self.key)
        key_text = _key_text(key)
        none = pl.lit(None, dtype=pl.String)
        removed_name = record_name(schema) if schema is not None else None

        def named(frame: pl.DataFrame) -> pl.DataFrame:
            if self.names is None:
                return frame.with_columns(none.alias("name"))
            return frame.join(
                self.names, on=key, how="left", nulls_equal=True, maintain_order="left"
            )

        frames = [
            named(self.added.select(key)).select(
                pl.lit(ADDED).alias(OP),
                key_text.alias("key"),
                pl.col("name"),
                none.alias("column"),
                none.alias("old"),
                none.alias("new"),
            ),
            named(self.updated).select(
                pl.lit(UPDATED).alias(OP),
                key_text.alias("key"),
                pl.col("name"),
                pl.col("column"),
                pl.col("old"),
                pl.col("new"),
            ),
            self.removed.select(
                pl.lit(REMOVED).alias(OP),
                key_text.alias("key"),
                (removed_name if removed_name is not None else none).alias("name"),
                none.alias("column"),
                none.alias("old"),
                none.alias("new"),
            ),
        ]
        return pl.concat(frames, how="vertical")


@dataclass(frozen=True, slots=True)
class KnockOn:
    """Removing `count` records of `dependent` follows from removing `target` `key`."""

    target: str
    key: str
    dependent: str
    count: int

    def sentence(self, noun: str, dependent_noun: str) -> str:
        plural = "" if self.count == 1 else "s"
        return f"removing {noun} {self.key} also removes its {self.count} {dependent_noun}{plural}"


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """The changes of one upload, per file, and their knock-on effects."""

    files: dict[str, FileChanges]
    knock_on: tuple[KnockOn, ...] = field(default=())

    def counts(self) -> dict[str, dict[str, int]]:
        return {name: changes.counts() for name, changes in self.files.items()}

    def removal_share(self, current_sizes: Mapping[str, int]) -> dict[str, float]:
        """Per file: removed records as a share of the records in production."""
        return {
            name: changes.removed.height / current_sizes[name]
            for name, changes in self.files.items()
            if current_sizes.get(name)
        }


# the columns that name a record, by data model convention: a person's first and last
# names, else an object's name or title (the first of these a file has)
NAME_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("First_name", "Last_name"),
    ("givenName", "familyName"),
    ("School_name",),
    ("Name",),
    ("name",),
    ("title",),
)


def record_name(schema: FileSchema) -> pl.Expr | None:
    """The name of a record of `schema` ("Ana Lopez", "Brooklyn Tech", "Algebra I"), as an
    expression over its columns; None for a file whose records have no name (enrollments)."""
    columns = set(schema.column_names)
    for parts in NAME_COLUMNS:
        if all(p in columns for p in parts):
            text = pl.concat_str(
                [pl.col(p).cast(pl.String).str.strip_chars() for p in parts],
                separator=" ",
                ignore_nulls=True,
            ).str.strip_chars()
            return pl.when(text == "").then(None).otherwise(text)
    return None


def _key_text(key: list[str]) -> pl.Expr:
    if len(key) == 1:
        return pl.col(key[0]).cast(pl.String)
    return pl.concat_str([pl.col(c).fill_null("") for c in key], separator=" / ")


def diff(
    schema: FileSchema, current: pl.DataFrame, new: pl.DataFrame, *, kept: int = 0
) -> FileChanges:
    """The changes from `current` to `new` (both production states of `schema`)."""
    key = state_key(schema)
    # added records are kept as keys only (a first version adds millions); removed ones whole
    # (knock-on effects follow their references)
    pairs = _pairs(_fingerprints(current, key), _fingerprints(new, key))
    added = _unpaired(new.select(key), pairs["__r"])
    removed = _unpaired(current, pairs["__l"])
    others = [c for c in production_columns(schema) if c not in key]
    if not others or not pairs.height:
        updated = _no_updates(key)
        return FileChanges(schema.name, tuple(key), added, removed, updated, 0, kept)
    # the pairs align each record with its earlier self; fingerprints of the other columns
    # find the records that changed, and only those are compared column by column
    before, after = _fingerprints(current, others), _fingerprints(new, others)
    differ = (before["h1"].gather(pairs["__l"]) != after["h1"].gather(pairs["__r"])) | (
        before["h2"].gather(pairs["__l"]) != after["h2"].gather(pairs["__r"])
    )
    touched = pairs.filter(differ)
    both = pl.concat(
        [
            new.select(pl.all().gather(touched["__r"])),
            current.select(pl.col(c).gather(touched["__l"]).alias(f"{c}__old") for c in others),
        ],
        how="horizontal",
    )
    changed = [pl.col(c).ne_missing(pl.col(f"{c}__old")).alias(f"{c}__changed") for c in others]
    flagged = both.with_columns(changed).filter(
        pl.any_horizontal(pl.col(f"{c}__changed") for c in others)
    )
    secrets = {c.name for c in schema.columns if c.secret}
    long = [
        flagged.filter(pl.col(f"{c}__changed")).select(
            *key,
            pl.lit(c).alias("column"),
            (pl.lit(MASK) if c in secrets else pl.col(f"{c}__old")).alias("old"),
            (pl.lit(MASK) if c in secrets else pl.col(c)).alias("new"),
        )
        for c in others
    ]
    updated = pl.concat(long, how="vertical") if long else _no_updates(key)
    return FileChanges(schema.name, tuple(key), added, removed, updated, flagged.height, kept)


def _fingerprints(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Two 64-bit hashes of each record's `columns` (independent seeds: 128 bits together).

    Comparing these instead of strings makes finding added, removed and updated records of
    millions of rows several times faster. Two different values would need to collide on
    both hashes (about 2⁻¹²⁸ per pair) to be taken for the same. Used within one call only
    (never stored: polars may change its hashes between versions)."""
    keys = frame.select(columns)
    return pl.DataFrame({"h1": keys.hash_rows(seed=1), "h2": keys.hash_rows(seed=2)})


def _pairs(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Row numbers (`__l`, `__r`) of the records of `left` and `right` with the same key.

    A join on the first hash alone finds the candidates; the second hash, gathered by row
    number, confirms them. Carrying the second hash through the join instead makes it build
    and move twice the data: at 8M rows about 0.3 s slower."""
    pairs = (
        left.lazy()
        .select("h1")
        .with_row_index("__l")
        .join(right.lazy().select("h1").with_row_index("__r"), on="h1", how="inner")
        .select("__l", "__r")
        .collect()
    )
    same = left["h2"].gather(pairs["__l"]) == right["h2"].gather(pairs["__r"])
    return pairs if same.all() else pairs.filter(same)


def _unpaired(frame: pl.DataFrame, paired: pl.Series) -> pl.DataFrame:
    """The rows of `frame` whose row number is not in `paired`.

    Nothing paired (a first version: every record is added) returns `frame` itself, sharing
    its buffers rather than copying millions of rows."""
    if not paired.len():
        return frame
    return frame.filter(~pl.repeat(value=False, n=frame.height, eager=True).scatter(paired, True))


def _no_updates(key: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            **dict.fromkeys(key, pl.String),
            "column": pl.String,
            "old": pl.String,
            "new": pl.String,
        }
    )


def knock_on_effects(model: DataModel, files: Mapping[str, FileChanges]) -> tuple[KnockOn, ...]:
    """For each removed record that other removed records point to (by a filtering
    reference), how many of them go with it: "removing section 581 also removes its 32
    enrollments"."""
    effects: list[KnockOn] = []
    for reference in model.references:
        if not reference.filtering or reference.target == reference.file:
            continue
        target, dependent = files.get(reference.target), files.get(reference.file)
        if target is None or dependent is None or not target.removed.height:
            continue
        if not dependent.removed.height:
            continue
        gone = target.removed.select(
            pl.col(t).alias(s)
            for t, s in zip(reference.target_columns, reference.columns, strict=True)
        ).unique()
        counts = (
            dependent.removed.join(gone, on=list(reference.columns), how="semi")
            .group_by(list(reference.columns))
            .len()
            .sort(["len", *reference.columns], descending=[True] + [False] * len(reference.columns))
        )
        for row in counts.iter_rows(named=True):
            key = " / ".join(str(row[c]) for c in reference.columns)
            effects.append(KnockOn(reference.target, key, reference.file, int(row["len"])))
    return tuple(effects)
