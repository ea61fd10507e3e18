"""Key uniqueness within a file: every record after the first with the same key is reported."""

from __future__ import annotations

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.issues import UNIQUENESS_VIOLATION
from rosterport.domain.tables import ROW


def check_unique(
    file: str, frame: pl.DataFrame, key: tuple[str, ...], *, entity: str = "record"
) -> pl.DataFrame:
    """Duplicate keys among rows whose key values are all present (missing ones are reported
    by the required check). The first occurrence stays; later ones are the issue."""
    columns = [k for k in key if k in frame.columns]
    if not columns:
        return issueframe.empty()
    keyed = frame.select(ROW, *columns).filter(pl.all_horizontal(pl.col(columns).is_not_null()))
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
            pl.format(
                "{} '{}' appears again: the same {} is on row {}; keep one row per {}",
                pl.lit(key_name),
                shown,
                pl.lit(entity),
                pl.col("first"),
                pl.lit(entity),
            ).alias("message"),
        )
    )
