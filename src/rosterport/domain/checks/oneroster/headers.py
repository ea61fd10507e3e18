"""The STRICT header rule of OneRoster 1.1 (`map_strict`): every standard column, extras only
to the right, with hints for OneRoster 1.0 names and near misses.

Bounded like the loose rule (domain/checks/headers.py): near misses are looked for among the
first `LISTED_COLUMNS` unknown cells, extra columns past that many are reported in one
grouped issue, and header cells are echoed clipped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.checks.headers import LISTED_COLUMNS, HeaderMap, more_unknown
from rosterport.domain.issues import (
    DUPLICATE_COLUMN,
    HEADER_CASE,
    HEADER_ORDER,
    MISSING_COLUMN,
    UNKNOWN_COLUMN,
)
from rosterport.domain.names import clipped, did_you_mean, folded
from rosterport.domain.schemas.model import FileSchema

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset(
    {
        DUPLICATE_COLUMN.code,
        HEADER_CASE.code,
        HEADER_ORDER.code,
        MISSING_COLUMN.code,
        UNKNOWN_COLUMN.code,
    }
)


# OneRoster 1.0 column → its 1.1 name (demographics was keyed by userSourcedId in 1.0).
V10_COLUMNS = {
    "grade": "grades",
    "userId": "userIds",
    "agents": "agentSourcedIds",
    "termSourcedId": "termSourcedIds",
    "schoolYearId": "schoolYearSourcedId",
}
V10_DEMOGRAPHICS = {"userSourcedId": "sourcedId"}


def map_strict(schema: FileSchema, header: tuple[str, ...], file: str) -> HeaderMap:
    """Map a header row by the STRICT rule of OneRoster.

    Every standard column must be there (`missing-column`, blocking, with a hint for 1.0
    names and near misses); a name in another case, or the standard names in another order,
    is read by name with an info notice; extra columns belong to the right of the last
    standard column and are named `metadata.*` (otherwise `unknown-column`, info).
    """
    by_fold = {folded(c): c for c in schema.column_names}
    cells: dict[str, list[int]] = {}
    unknown: list[int] = []
    for index, cell in enumerate(header):
        name = by_fold.get(folded(cell))
        if name is not None:
            cells.setdefault(name, []).append(index)
        elif cell.strip():
            unknown.append(index)
    positions = {name: found[0] for name, found in cells.items() if len(found) == 1}
    issues = [
        *_duplicates(cells, header, file),
        *_cased(positions, header, file),
    ]
    missing = [c for c in schema.column_names if c not in cells]
    hinted, missing_issues = _missing_columns(schema, missing, header, unknown, file)
    issues.extend(missing_issues)
    issues.extend(_order(schema, positions, file))
    extras = [i for i in unknown if i not in hinted]
    issues.extend(_extras(schema, header, extras, positions, file))
    return HeaderMap(positions, issueframe.concat(issues))


def _duplicates(
    cells: dict[str, list[int]], header: tuple[str, ...], file: str
) -> list[pl.DataFrame]:
    return [
        issueframe.file_issue(
            DUPLICATE_COLUMN,
            file,
            DUPLICATE_COLUMN.text(
                column=name,
                file=file,
                positions=", ".join(f"{i + 1} ({clipped(header[i])})" for i in found),
            ),
            column=name,
        )
        for name, found in cells.items()
        if len(found) > 1
    ]


def _cased(positions: dict[str, int], header: tuple[str, ...], file: str) -> list[pl.DataFrame]:
    return [
        issueframe.file_issue(
            HEADER_CASE,
            file,
            HEADER_CASE.text(found=clipped(header[index]), file=file, column=name),
            column=name,
            value=clipped(header[index]),
        )
        for name, index in positions.items()
        if header[index] != name
    ]


def _missing_columns(
    schema: FileSchema,
    missing: Sequence[str],
    header: tuple[str, ...],
    unknown: Sequence[int],
    file: str,
) -> tuple[set[int], list[pl.DataFrame]]:
    """The issues of the missing standard columns, and the header cells used as hints."""
    old_names = dict(V10_COLUMNS)
    if schema.name == "demographics.csv":
        old_names.update(V10_DEMOGRAPHICS)
    hinted: set[int] = set()
    issues = []
    for column in missing:
        old = [i for i in unknown if old_names.get(header[i]) == column and i not in hinted]
        near = [
            i
            for i in unknown[:LISTED_COLUMNS]
            if did_you_mean(header[i], [column]) and i not in hinted
        ]
        if old:
            hinted.add(old[0])
            fix = (
                f"the header has {clipped(header[old[0]])} instead: this is a OneRoster 1.0 "
                f"column; 1.1 calls it {column}, so rename it"
            )
        elif near:
            hinted.add(near[0])
            fix = f"the header has {clipped(header[near[0]])}: did you mean {column}? rename it"
        else:
            index = schema.column_names.index(column)
            where = f"after {schema.column_names[index - 1]}" if index else "as the first column"
            fix = (
                "OneRoster 1.1 needs every standard column, even when its values are empty: "
                f"add it {where}"
            )
        message = MISSING_COLUMN.text("oneroster", column=column, file=file, fix=fix)
        issues.append(issueframe.file_issue(MISSING_COLUMN, file, message, column=column))
    return hinted, issues


def _order(schema: FileSchema, positions: dict[str, int], file: str) -> list[pl.DataFrame]:
    expected = [c for c in schema.column_names if c in positions]
    found = sorted(expected, key=positions.__getitem__)
    if found == expected:
        return []
    first = next(i for i, (a, b) in enumerate(zip(found, expected, strict=True)) if a != b)
    return [
        issueframe.file_issue(
            HEADER_ORDER,
            file,
            HEADER_ORDER.text(
                file=file,
                position=str(first + 1),
                found=found[first],
                expected=expected[first],
                order=", ".join(schema.column_names),
            ),
        )
    ]


def _extras(
    schema: FileSchema,
    header: tuple[str, ...],
    extras: Sequence[int],
    positions: dict[str, int],
    file: str,
) -> list[pl.DataFrame]:
    """Extra columns: fine to the right of the standard ones as `metadata.*`."""
    last = max(positions.values(), default=-1)
    last_name = header[last] if last >= 0 else ""
    issues = []
    misplaced: list[str] = []
    for index in extras:
        cell = header[index]
        named = cell if cell.startswith("metadata.") else f"metadata.{cell}"
        if index >= last and named == cell:
            continue  # a metadata.* column to the right: as the standard wants
        misplaced.append(cell)
        if len(misplaced) > LISTED_COLUMNS:
            continue
        suggestion = did_you_mean(cell, schema.column_names)
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        if index < last:
            fix = f"move it after {last_name}" + (
                "" if named == cell else f" and name it {clipped(named)}"
            )
        else:
            fix = f"extra columns are named metadata.*: rename it {clipped(named)}"
        issues.append(
            issueframe.file_issue(
                UNKNOWN_COLUMN,
                file,
                UNKNOWN_COLUMN.text(
                    "oneroster", column=clipped(cell), file=schema.name, hint=hint, fix=fix
                ),
                column=clipped(cell),
            )
        )
    if len(misplaced) > LISTED_COLUMNS:
        issues.append(
            more_unknown(
                misplaced[LISTED_COLUMNS:],
                file,
                f"OneRoster 1.1 columns of {schema.name}",
                f"; extra columns go after {last_name or 'the standard columns'} and are named "
                "metadata.*",
            )
        )
    return issues
