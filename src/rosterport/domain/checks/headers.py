"""Header rows → which frame position holds which column (the LOOSE rule of Passport models).

Header names match case-insensitively after trimming; order is free; optional columns may be
left out. Unknown columns are reported (info) with a "did you mean" hint; a required column
that is missing or a column named twice blocks the file.

Header cells come from the upload, so the work and the report stay bounded: the first
`LISTED_COLUMNS` unknown columns are reported one by one (with a suggestion, and as the
candidates for a missing column's hint), the rest in one grouped issue; a header cell is
echoed clipped (`names.clipped`). The reader refuses files with more than
`tables.MAX_COLUMNS` columns before they get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.issues import DUPLICATE_COLUMN, MISSING_COLUMN, UNKNOWN_COLUMN
from rosterport.domain.names import clipped, did_you_mean, folded
from rosterport.domain.schemas.model import FileSchema

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset({DUPLICATE_COLUMN.code, MISSING_COLUMN.code, UNKNOWN_COLUMN.code})


LISTED_COLUMNS = 50  # unknown columns reported one by one, with a "did you mean"


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Where each column of the schema is in the file (absent columns are not in `positions`)."""

    positions: dict[str, int]
    issues: pl.DataFrame

    @property
    def blocked(self) -> bool:
        return bool(self.issues.filter(pl.col("level") == "error").height)


def map_loose(schema: FileSchema, header: tuple[str, ...], file: str) -> HeaderMap:
    """Map a header row by the loose rule."""
    names: dict[str, str] = {}
    for column in schema.columns:
        names[folded(column.name)] = column.name
        for alias in column.aliases:
            names.setdefault(folded(alias), column.name)
    positions: dict[str, int] = {}
    issues: list[pl.DataFrame] = []
    unknown: list[str] = []
    for index, cell in enumerate(header):
        name = names.get(folded(cell))
        if name is None:
            if cell.strip():
                unknown.append(cell)
                if len(unknown) <= LISTED_COLUMNS:
                    issues.append(_unknown(schema, cell, file))
        elif name in positions:
            issues.append(
                issueframe.file_issue(
                    DUPLICATE_COLUMN,
                    file,
                    DUPLICATE_COLUMN.text(
                        column=name, file=file, positions=f"{positions[name] + 1} and {index + 1}"
                    ),
                    column=name,
                )
            )
        else:
            positions[name] = index
    listed = unknown[:LISTED_COLUMNS]
    if len(unknown) > len(listed):
        issues.append(more_unknown(unknown[len(listed) :], file, f"columns of {schema.name}"))
    for column in schema.columns:
        if column.required and column.name not in positions:
            close = [c for c in listed if did_you_mean(c, [column.name])]
            hint = f" (is {clipped(close[0])} meant to be {column.name}?)" if close else ""
            issues.append(
                issueframe.file_issue(
                    MISSING_COLUMN,
                    file,
                    MISSING_COLUMN.text(column=column.name, file=file, hint=hint),
                    column=column.name,
                )
            )
    return HeaderMap(positions, issueframe.concat(issues))


def _unknown(schema: FileSchema, cell: str, file: str) -> pl.DataFrame:
    suggestion = did_you_mean(cell, schema.column_names)
    hint = f"; did you mean {suggestion}?" if suggestion else ""
    return issueframe.file_issue(
        UNKNOWN_COLUMN,
        file,
        UNKNOWN_COLUMN.text(column=clipped(cell), file=schema.name, hint=hint),
        column=clipped(cell),
    )


def more_unknown(cells: list[str], file: str, what: str, fix: str = "") -> pl.DataFrame:
    """One issue for the unknown columns past the first `LISTED_COLUMNS`."""
    first = ", ".join(clipped(c) for c in cells[:3])
    return issueframe.file_issue(
        UNKNOWN_COLUMN,
        file,
        UNKNOWN_COLUMN.text(
            "more",
            count=f"{len(cells):,}",
            file=file,
            what=what,
            first=first,
            fix=fix or "; remove them, or check that row 1 is the header row",
        ),
    )
