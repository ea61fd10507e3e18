"""Cross-file references, resolved against the records that survive validation.

Files are checked in the model's dependency order, so when a file is checked the records of
the files it points to are final: a record removed there (Warn) makes the records that point
to it fail here, and the message says why (the cascade). A record is reported for the first
reference it fails only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.inputs import ROW
from rosterport.domain.issues import REFERENCE_NOT_FOUND
from rosterport.domain.names import with_article
from rosterport.domain.schemas.model import Reference

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset({REFERENCE_NOT_FOUND.code})


@dataclass(frozen=True, slots=True)
class Targets:
    """What a reference may point to: the surviving keys, and the removed ones (for messages).

    Both frames carry the reference's *source* column names. `removed` has ROW too: the
    row of the target file that was removed.
    """

    kept: pl.DataFrame
    removed: pl.DataFrame


@dataclass(frozen=True, slots=True)
class ReferenceCheck:
    """The issues of one reference and the rows of the source file that failed it."""

    issues: pl.DataFrame
    failed: pl.DataFrame  # ROW only
    lists: pl.DataFrame | None = None  # ROW + the list column with unknown items removed


def check_reference(
    reference: Reference,
    candidates: pl.DataFrame,
    targets: Targets,
    *,
    list_column: bool = False,
    required: bool = False,
) -> ReferenceCheck:
    """Check `candidates` (ROW + normalized source columns) against `targets`."""
    columns = list(reference.columns)
    if list_column:
        return _check_list(reference, candidates, targets, required=required)
    present = candidates.select(ROW, *columns).filter(
        pl.all_horizontal(pl.col(columns).is_not_null())
    )
    missing = present.filter(~_hash(present, columns).is_in(_hash(targets.kept, columns).implode()))
    if not missing.height:
        return ReferenceCheck(issueframe.empty(), missing.select(ROW))
    return ReferenceCheck(_issues(reference, missing, targets), missing.select(ROW))


def _hash(frame: pl.DataFrame, columns: list[str]) -> pl.Series:
    """64-bit hashes of the reference columns: comparing these instead of strings is several
    times faster. Distinct values hash alike with probability ~2⁻⁶⁴ per pair (a reference
    could then pass unnoticed: about once in 10⁷ uploads of 10⁷ rows); the hashes live
    only for this call and are never stored."""
    if len(columns) == 1:
        return frame.get_column(columns[0]).hash(seed=0)
    return frame.select(columns).hash_rows(seed=0)


def _issues(reference: Reference, missing: pl.DataFrame, targets: Targets) -> pl.DataFrame:
    columns = list(reference.columns)
    removed = targets.removed.group_by(columns).agg(pl.col(ROW).min().alias("__target_row"))
    shown = (
        pl.col(columns[0])
        if len(columns) == 1
        else pl.concat_str([pl.col(c) for c in columns], separator=", ")
    )
    names = " + ".join(columns)
    noun, target = with_article(reference.noun), reference.target
    level = reference.fixed_level.value if reference.fixed_level else None
    # An advisory reference keeps its record: only a filtering one brings it back.
    fix = "this record comes back" if reference.filtering else "the reference resolves"
    return issueframe.conform(
        missing.join(removed, on=columns, how="left").select(
            pl.lit(reference.file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(columns[-1]).alias("column"),
            shown.alias("value"),
            pl.lit(REFERENCE_NOT_FOUND.code).alias("code"),
            pl.lit(level, dtype=pl.String).alias("level"),
            pl.when(pl.col("__target_row").is_not_null())
            .then(
                issueframe.template(
                    REFERENCE_NOT_FOUND.text(
                        "removed",
                        column=names,
                        value=issueframe.VALUE,
                        noun=noun,
                        target=target,
                        n=issueframe.NUMBER,
                        fix=fix,
                    )
                )
            )
            .otherwise(
                issueframe.template(
                    REFERENCE_NOT_FOUND.text(
                        column=names, value=issueframe.VALUE, noun=noun, target=target
                    )
                )
            )
            .alias("template"),
            pl.col("__target_row").alias("n"),
        )
    )


def _check_list(
    reference: Reference, candidates: pl.DataFrame, targets: Targets, *, required: bool
) -> ReferenceCheck:
    """A comma-separated list of references: unknown items are removed from the list and
    reported; the record fails only if a required list ends up empty."""
    (column,) = reference.columns
    items = (
        candidates.select(ROW, pl.col(column).str.split(","))
        .explode(column)
        .filter(pl.col(column).is_not_null() & (pl.col(column) != ""))
    )
    known = items.join(targets.kept, on=[column], how="semi")
    unknown = items.join(targets.kept, on=[column], how="anti")
    if not unknown.height:
        return ReferenceCheck(issueframe.empty(), unknown.select(ROW))
    lists = known.group_by(ROW, maintain_order=True).agg(pl.col(column).str.join(","))
    rows_with_lists = candidates.filter(pl.col(column).is_not_null()).select(ROW)
    emptied = rows_with_lists.join(lists, on=ROW, how="anti")
    failed = emptied.select(ROW) if required else emptied.clear().select(ROW)
    updated = unknown.select(ROW).unique().join(lists, on=ROW, how="left")
    return ReferenceCheck(_issues(reference, unknown, targets), failed, updated)
