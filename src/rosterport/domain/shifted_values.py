"""A secret column's values kept out of the issues of malformed rows.

A row with a missing or an extra field has its values under other columns than their own: a
password may be checked, and echoed, as a grade. So in a file with a secret column, an issue
about a value on such a row shows no value and says why; the malformed-row issue says what
to fix.
"""

from __future__ import annotations

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.inputs import FIELDS, ROW, RawTable
from rosterport.domain.issues import CATALOGUE, MALFORMED_ROW
from rosterport.domain.row_sets import in_rows
from rosterport.domain.schemas.model import FileSchema


def mask_shifted(schema: FileSchema, table: RawTable, issues: pl.DataFrame) -> pl.DataFrame:
    """Issues on malformed rows of a file with a secret column, without their values."""
    if not issues.height or not any(c.secret for c in schema.columns):
        return issues
    malformed = table.frame.filter(pl.col(FIELDS) != len(table.header)).get_column(ROW)
    if not malformed.len():
        return issues
    shifted = issues.select(
        in_rows(malformed, "row")
        & pl.col("value").is_not_null()
        & (pl.col("code") != MALFORMED_ROW.code)
    ).to_series()
    if not shifted.any():
        return issues
    titles = {code: issue.title for code, issue in CATALOGUE.items()}
    # a template per (column, code) of the shifted issues, without placeholders: the column
    # names are the schema's, so there are few; made once each and joined, not per issue
    keys = ["column", "code"]
    templates = (
        issues.filter(shifted)
        .select(keys)
        .unique()
        .with_columns(
            issueframe.template(
                pl.col("column").fill_null("a value"),
                " (",
                pl.col("code").cast(pl.String).replace_strict(titles, default="issue"),
                "): the value is not shown because this row has the wrong number of fields, so "
                "its values may sit under other columns than their own, a password among them; "
                "fix the row's commas and quotes first",
            ).alias("__template")
        )
    )
    matched = (
        issues.select(keys)
        .join(templates, on=keys, how="left", nulls_equal=True, maintain_order="left")
        .get_column("__template")
    )
    return issues.with_columns(
        pl.when(shifted).then(pl.lit(issueframe.MASK)).otherwise(pl.col("value")).alias("value"),
        pl.when(shifted).then(pl.lit(None)).otherwise(pl.col("message")).alias("message"),
        pl.when(shifted).then(matched).otherwise(pl.col("template")).alias("template"),
    )
