"""Required values and value formats, column by column, over whole columns.

Every column is normalized in one `select`; then only the rows with a problem are taken
apart into issues, so message formatting costs nothing for clean rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.formats import FormatContext
from rosterport.domain.inputs import FIELDS, ROW
from rosterport.domain.issues import INVALID_FORMAT, MALFORMED_ROW, REQUIRED_ATTRIBUTE
from rosterport.domain.policy import Requirement
from rosterport.domain.schemas.model import Column, FileSchema

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset({INVALID_FORMAT.code, MALFORMED_ROW.code, REQUIRED_ATTRIBUTE.code})


_REQUIREMENT_TEXT = {
    Requirement.REPORT: "the application needs it (Report if missing)",
    Requirement.SKIP: "the application needs it, so the record is skipped (Skip if missing)",
}


@dataclass(frozen=True, slots=True)
class ValueCheck:
    """The values as read (trimmed, null when empty), normalized, and the issues found."""

    values: pl.DataFrame
    normalized: pl.DataFrame
    issues: pl.DataFrame


_EDGE_SPACE = r"^[ \t]|[ \t]$"


def check_malformed(frame: pl.DataFrame, width: int, file: str) -> pl.DataFrame:
    """Rows whose field count differs from the header's."""
    counts = frame.select(ROW, FIELDS)
    bad = counts.filter(pl.col(FIELDS) != width)
    if not bad.height:
        return issueframe.empty()
    return issueframe.conform(
        bad.select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(MALFORMED_ROW.code).alias("code"),
            issueframe.template(MALFORMED_ROW.text(n=issueframe.NUMBER, width=str(width))).alias(
                "template"
            ),
            pl.col(FIELDS).alias("n"),
        )
    )


def check_values(
    schema: FileSchema,
    values: pl.DataFrame,
    context: FormatContext,
    requirements: Mapping[str, Requirement],
    *,
    not_required_rows: pl.Expr | None = None,
    trims: bool = True,
    keep_values: bool = True,
) -> ValueCheck:
    """Check and normalize the columns of `values` (ROW + one string column per schema column
    present, as read: surrounding spaces and empty strings allowed).

    Fast paths: a column of few distinct values (a vocabulary, dates of birth, school ids)
    is checked and normalized once per distinct value, then mapped back (`_by_distinct`);
    in the others, one screening pass per column finds the values that are empty, have
    spaces to trim or (for formats that store values as given) may be invalid, and only
    those are trimmed and normalized one by one. Formats that change values (dates…)
    normalize the whole column. `requirements` maps optional columns to a data requirement;
    `not_required_rows` marks rows for which required values are not demanded.
    `keep_values` False: `values` of the result holds only ROW (each trimmed column is freed
    once normalized, instead of being kept as a second copy of the file).
    """
    present = [c for c in schema.columns if c.name in values.columns]
    few = {c.name for c in present if _few_distinct(values.get_column(c.name), c)}
    screened = [(i, c) for i, c in enumerate(present) if c.name not in few]
    screen = values.select(
        *(_empty(c.name).alias(f"e{i}") for i, c in screened),
        *(_suspect(c, trims).alias(f"s{i}") for i, c in screened),
    )
    rows = values.get_column(ROW)
    demand = (
        None
        if not_required_rows is None
        else values.select((~not_required_rows).fill_null(value=True)).to_series()
    )
    cleaned: dict[str, pl.Series] = {ROW: rows}
    normalized: dict[str, pl.Series] = {ROW: rows}
    issues: list[pl.DataFrame] = []

    def one(i: int, column: Column) -> tuple[pl.Series, pl.Series, pl.DataFrame | None]:
        """(values, normalized values, issues or None) of one column."""
        raw = values.get_column(column.name).cast(pl.String)
        mapped = _by_distinct(column, raw, context, trims=trims) if column.name in few else None
        if mapped is not None:
            value, norm = mapped
        else:
            empty, suspect = _screened(values, screen, column, i, trims)
            value, norm = _column(column, raw, empty, suspect, context, trims=trims)
            if column.format.blanks:  # words meaning "not given" read as an empty cell
                value, norm = _blank_out(value, norm, column.format.blanks)
        bad = value.is_not_null() & norm.is_null()
        if column.required or column.name in requirements:
            missing = value.is_null()
            bad = bad | (missing & demand if column.required and demand is not None else missing)
        if not bad.any():
            return value, norm, None
        subset = pl.DataFrame({ROW: rows.filter(bad), column.name: value.filter(bad)})
        return (
            value,
            norm,
            _column_issues(schema.name, column, subset, requirements.get(column.name)),
        )

    # Columns are independent: polars runs one column's work on one core (the GIL is released
    # inside), so two at a time use both cores of a small server. Results keep column order.
    with ThreadPoolExecutor(max_workers=max(1, min(pl.thread_pool_size(), 2))) as pool:
        for column, (value, norm, found) in zip(
            present, pool.map(one, range(len(present)), present), strict=True
        ):
            normalized[column.name] = norm
            if keep_values:
                cleaned[column.name] = value
            if found is not None:
                issues.append(found)
            del value, norm
    for column in schema.columns:  # a column a requirement names, left out of the file:
        if column.name in requirements and column.name not in values.columns and values.height:
            empty = pl.Series(column.name, [None] * values.height, dtype=pl.String)
            subset = pl.DataFrame({ROW: rows, column.name: empty})  # missing in every record
            issues.append(_column_issues(schema.name, column, subset, requirements[column.name]))
    return ValueCheck(pl.DataFrame(cleaned), pl.DataFrame(normalized), issueframe.concat(issues))


_SAMPLE = 16_384  # values looked at to guess whether a column has few distinct values
# Checking distinct values pays when there are at least this many values per distinct one
# in the sample: formats that keep most values as given cost one screening pass otherwise
# (cheap), so they need many repeats; formats that normalize every value (dates) need few.
_REPEATS_SCREENED, _REPEATS_NORMALIZED = 16, 2
_MAPPED = 2  # … and, counted exactly, at least this many rows per distinct value


def _few_distinct(raw: pl.Series, column: Column) -> bool:
    """Whether a column probably has few enough distinct values for `_by_distinct`: judged
    on a sample of evenly spread rows (cheap: the sample is small)."""
    if raw.len() < _SAMPLE * 2:
        return False
    sample = raw.gather_every(raw.len() // _SAMPLE)
    repeats = _REPEATS_SCREENED if column.format.screened else _REPEATS_NORMALIZED
    return sample.n_unique() * repeats <= sample.len()


def _screened(
    values: pl.DataFrame, screen: pl.DataFrame, column: Column, i: int, trims: bool
) -> tuple[pl.Series, pl.Series]:
    """The column's screening (empty, suspect): from the shared pass, or its own when the
    column was meant for `_by_distinct` but has too many distinct values after all."""
    if f"e{i}" in screen.columns:
        return screen[f"e{i}"], screen[f"s{i}"]
    own = values.select(_empty(column.name).alias("e"), _suspect(column, trims).alias("s"))
    return own["e"], own["s"]


def _by_distinct(
    column: Column, raw: pl.Series, context: FormatContext, *, trims: bool
) -> tuple[pl.Series, pl.Series] | None:
    """(values, normalized values) of a column with few distinct values: each distinct value
    is blanked, trimmed and normalized exactly as `_column` would, then the results are
    mapped back to the rows (no copy when nothing changes). None when there are fewer than
    _MAPPED rows per distinct value after all."""
    keys = raw.drop_nulls().unique(maintain_order=True)
    if keys.len() * _MAPPED > raw.len():
        return None
    fmt = column.format
    k = pl.col(column.name)  # the distinct values, under the column's name (as _suspect reads)
    trimmed = k.str.strip_chars(" \t") if trims else k
    suspect = _suspect(column, trims)
    value = pl.when(_empty(column.name)).then(None).when(suspect).then(trimmed).otherwise(k)
    value = pl.when(value != "").then(value)
    if fmt.blanks:  # words meaning "not given" read as an empty cell
        value = pl.when(~value.str.to_lowercase().is_in(list(fmt.blanks))).then(value)
    keyed = pl.DataFrame({column.name: keys}).with_columns(value.alias("v"))
    norm = fmt.normalize(pl.col("v"), context)
    if fmt.screened:  # values that are not suspect are stored as given
        norm = pl.when(suspect).then(norm).otherwise(pl.col("v"))
    keyed = keyed.with_columns(norm.alias("n"))
    same_value = keyed.select((pl.col("v") == k).fill_null(value=False).all()).item()
    same_norm = keyed.select(pl.col("n").eq_missing(pl.col("v")).all()).item()
    if same_value and same_norm:
        return raw.alias(column.name), raw.alias(column.name)
    # each row's distinct value by number (one pass over the column), then gathers
    numbers = pl.int_range(keyed.height, eager=True, dtype=pl.UInt32)
    index = raw.replace_strict(keyed[column.name], numbers, default=None)
    values = raw if same_value else keyed["v"].gather(index)
    norms = values if same_norm else keyed["n"].gather(index)
    return values.alias(column.name), norms.alias(column.name)


def _blank_out(
    value: pl.Series, norm: pl.Series, blanks: tuple[str, ...]
) -> tuple[pl.Series, pl.Series]:
    """`value` and `norm` with the cells spelled as one of `blanks` made empty."""
    frame = pl.DataFrame({"v": value, "n": norm})
    given = ~pl.col("v").str.to_lowercase().is_in(list(blanks)).fill_null(value=False)
    out = frame.select(pl.when(given).then(pl.col("v")), pl.when(given).then(pl.col("n")))
    return out.to_series(0).alias(value.name), out.to_series(1).alias(norm.name)


def _empty(name: str) -> pl.Expr:
    raw = pl.col(name)
    return raw.is_null() | (raw.str.len_bytes() == 0)


def _suspect(column: Column, trims: bool) -> pl.Expr:
    """Values that need more than "keep as given": edge spaces, or possibly invalid."""
    raw = pl.col(column.name)
    fmt = column.format
    if fmt.clean is not None:
        flag = ~raw.str.contains(fmt.clean)
    else:
        patterns = [_EDGE_SPACE] if trims else []
        if fmt.suspect is not None:
            patterns.append(fmt.suspect)
        if not patterns:
            return pl.lit(value=False)
        flag = raw.str.contains("|".join(patterns))
    if fmt.max_bytes is not None:
        flag = flag | (raw.str.len_bytes() > fmt.max_bytes)
    return (flag & (raw.str.len_bytes() > 0)).fill_null(value=False)  # empty is not suspect


def _column(
    column: Column,
    raw: pl.Series,
    empty: pl.Series,
    suspect: pl.Series,
    context: FormatContext,
    *,
    trims: bool,
) -> tuple[pl.Series, pl.Series]:
    """(values trimmed with empty → null, normalized values) of one column."""
    value: pl.Series
    if empty.any():
        frame = pl.DataFrame({"v": raw, "e": empty})
        blanked = frame.select(pl.when(~pl.col("e")).then(pl.col("v")).alias(column.name))
        value = blanked.to_series()
    else:  # nothing to blank out: keep the column as read (no copy)
        value = raw.alias(column.name)
    where = suspect.arg_true()
    fixed = pl.DataFrame({"v": raw.gather(where)}) if where.len() else None
    if fixed is not None:
        v = pl.col("v").str.strip_chars(" \t") if trims else pl.col("v")
        fixed = fixed.select(pl.when(v != "").then(v).alias("v")).with_columns(
            column.format.normalize(pl.col("v"), context).alias("n")
        )
        copied = value if empty.any() else value.clone()  # blanking made a copy already
        value = copied.scatter(where, fixed["v"])
    if not column.format.screened:
        whole = pl.DataFrame({"v": value}).select(column.format.normalize(pl.col("v"), context))
        return value, whole.to_series().alias(column.name)
    norm = value.clone()
    if fixed is not None:
        norm = norm.scatter(where, fixed["n"])
    return value, norm


def _column_issues(
    file: str,
    column: Column,
    rows: pl.DataFrame,
    requirement: Requirement | None,
) -> pl.DataFrame:
    raw = pl.col(column.name)
    shown = pl.lit(issueframe.MASK) if column.secret else raw
    fmt = column.format
    hint = fmt.hint(raw) if fmt.hint else pl.lit(None, dtype=pl.String)
    # the message is a template (issueframe): the value goes in when the report is written
    invalid = issueframe.template(
        INVALID_FORMAT.expr(
            column=column.name,
            value=issueframe.VALUE,
            expected=fmt.expected,
            accepted=fmt.accepted,
            hint=pl.when(hint.is_not_null())
            .then(pl.lit(" (") + hint + pl.lit(")"))
            .otherwise(pl.lit("")),
        )
    )
    if column.required:
        missing_message = REQUIRED_ATTRIBUTE.text(column=column.name)
        missing_level = pl.lit(None, dtype=pl.String)
    elif requirement is not None:
        missing_message = REQUIRED_ATTRIBUTE.text(
            "requirement", column=column.name, requirement=_REQUIREMENT_TEXT[requirement]
        )
        missing_level = pl.lit(requirement.level.value)
    else:  # optional without requirement: only format issues are possible
        missing_message = ""
        missing_level = pl.lit(None, dtype=pl.String)
    is_missing = raw.is_null()
    return issueframe.conform(
        rows.select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(column.name).alias("column"),
            pl.when(is_missing).then(pl.lit(None, dtype=pl.String)).otherwise(shown).alias("value"),
            pl.when(is_missing)
            .then(pl.lit(REQUIRED_ATTRIBUTE.code))
            .otherwise(pl.lit(INVALID_FORMAT.code))
            .alias("code"),
            pl.when(is_missing).then(missing_level).otherwise(pl.lit(None)).alias("level"),
            pl.when(is_missing)
            .then(issueframe.template(missing_message))
            .otherwise(invalid)
            .alias("template"),
        )
    )
