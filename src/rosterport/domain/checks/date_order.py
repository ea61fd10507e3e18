"""Rules across columns of one record, declared by data models (e.g. Term_end ≥ Term_start)."""

from __future__ import annotations

from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.inputs import ROW
from rosterport.domain.issues import INVALID_FORMAT
from rosterport.domain.schemas.model import DateOrder

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset({INVALID_FORMAT.code})


def check_date_order(rule: DateOrder, normalized: pl.DataFrame) -> pl.DataFrame:
    """Rows whose `later` date is before their `earlier` one (ISO dates compare as text)."""
    if rule.earlier not in normalized.columns or rule.later not in normalized.columns:
        return issueframe.empty()
    bad = normalized.filter(pl.col(rule.later) < pl.col(rule.earlier))
    if not bad.height:
        return issueframe.empty()
    return issueframe.conform(
        bad.select(
            pl.lit(rule.file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(rule.later).alias("column"),
            pl.col(rule.later).alias("value"),
            pl.lit(INVALID_FORMAT.code).alias("code"),
            pl.lit(rule.fixed_level.value if rule.fixed_level else None).alias("level"),
            INVALID_FORMAT.expr(
                "order",
                column=rule.later,
                value=pl.col(rule.later),
                earlier=rule.earlier,
                earlier_value=pl.col(rule.earlier),
            ).alias("message"),
        )
    )
