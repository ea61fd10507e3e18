"""Header rows → which frame position holds which column (the LOOSE rule of Passport models).

Header names match case-insensitively after trimming; order is free; optional columns may be
left out. Unknown columns are reported (info) with a "did you mean" hint; a required column
that is missing or a column named twice blocks the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.issues import DUPLICATE_COLUMN, MISSING_COLUMN, UNKNOWN_COLUMN
from rosterport.domain.names import did_you_mean, folded
from rosterport.domain.schemas.model import FileSchema


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
    for index, cell in enumerate(header):
        name = names.get(folded(cell))
        if name is None:
            if not cell.strip():
                continue
            suggestion = did_you_mean(cell, schema.column_names)
            hint = f"; did you mean {suggestion}?" if suggestion else ""
            issues.append(
                issueframe.file_issue(
                    UNKNOWN_COLUMN,
                    file,
                    f"column {cell} is not a column of {schema.name}; it is ignored{hint}",
                    column=cell,
                )
            )
        elif name in positions:
            issues.append(
                issueframe.file_issue(
                    DUPLICATE_COLUMN,
                    file,
                    f"column {name} appears more than once in the header row of {file} "
                    f"(columns {positions[name] + 1} and {index + 1}); keep one of them",
                    column=name,
                )
            )
        else:
            positions[name] = index
    for column in schema.columns:
        if column.required and column.name not in positions:
            close = [c for c in header if did_you_mean(c, [column.name])]
            hint = f" (is {close[0]} meant to be {column.name}?)" if close else ""
            issues.append(
                issueframe.file_issue(
                    MISSING_COLUMN,
                    file,
                    f"required column {column.name} is missing from the header row of {file}"
                    f"{hint}; add it",
                    column=column.name,
                )
            )
    return HeaderMap(positions, issueframe.concat(issues))
