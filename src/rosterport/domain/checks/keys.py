"""Key uniqueness within a file: every record after the first with the same key is reported."""

from __future__ import annotations

from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.inputs import ROW
from rosterport.domain.issues import UNIQUENESS_VIOLATION

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset({UNIQUENESS_VIOLATION.code})


def _possible_duplicates(keyed: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """ROWs whose key hash occurs more than once: a superset of the duplicates, found with
    a sort of 64-bit hashes (fast) instead of comparing strings; the exact comparison then
    runs on these rows only. The hashes live only for this call (never stored)."""
    hashes = keyed.select(columns).hash_rows()
    ordered = hashes.sort()
    repeated = ordered.filter(ordered == ordered.shift(1))
    if not repeated.len():
        return keyed.select(ROW).clear()
    return keyed.select(ROW).filter(hashes.is_in(repeated.unique().implode()))


def check_unique(
    file: str, frame: pl.DataFrame, key: tuple[str, ...], *, entity: str = "record"
) -> pl.DataFrame:
    """Duplicate keys among rows whose key values are all present (missing ones are reported
    by the required check). The first occurrence stays; later ones are the issue."""
    columns = [k for k in key if k in frame.columns]
    if not columns:
        return issueframe.empty()
    keyed = frame.select(ROW, *columns).filter(pl.all_horizontal(pl.col(columns).is_not_null()))
    keyed = keyed.join(_possible_duplicates(keyed, columns), on=ROW, how="semi")
    later = keyed.filter(~pl.struct(columns).is_first_distinct())
    if not later.height:
        return issueframe.empty()
    first = (
        keyed.join(later.select(columns).unique(), on=columns, how="semi")
        .group_by(columns)
        .agg(pl.col(ROW).min().alias("first"))
    )
    shown = (
        pl.col(columns[0])
        if len(columns) == 1
        else pl.concat_str([pl.col(c) for c in columns], separator=", ")
    )
    key_name = " + ".join(columns)
    return issueframe.conform(
        later.join(first, on=columns, how="left").select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(columns[-1]).alias("column"),
            shown.alias("value"),
            pl.lit(UNIQUENESS_VIOLATION.code).alias("code"),
            issueframe.template(
                UNIQUENESS_VIOLATION.text(
                    key=key_name, value=issueframe.VALUE, entity=entity, n=issueframe.NUMBER
                )
            ).alias("template"),
            pl.col("first").alias("n"),
        )
    )
