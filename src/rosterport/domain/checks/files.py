"""Which uploaded file is which file of the model (the LOOSE rule of Passport models).

File names match case-insensitively; a file's aliases (staff.csv for admins.csv) are read as
that file unless the file itself is there too. Anything else is `unexpected-file` (info).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.inputs import DeferredTable, FileProblem, RawTable
from rosterport.domain.issues import MISSING_FILE, UNEXPECTED_FILE
from rosterport.domain.names import did_you_mean, folded
from rosterport.domain.policy import Mode
from rosterport.domain.schemas.model import DataModel

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset({MISSING_FILE.code, UNEXPECTED_FILE.code})


Table = RawTable | FileProblem
Given = Table | DeferredTable  # a file as given to the validator: read, or to be read


@dataclass(frozen=True, slots=True)
class PackagePlan:
    """The uploaded files matched to the model: what to check, and how each file counts.

    `modes` says, per model file, how the file replaces production: "full" (the complete
    set), "incremental" (adds and updates), and for OneRoster "bulk", "delta" or "absent".
    """

    files: dict[str, Given]
    modes: dict[str, str]
    issues: pl.DataFrame
    notes: tuple[str, ...] = field(default=())


def match_loose(model: DataModel, tables: Sequence[Given], mode: Mode) -> PackagePlan:
    """Match uploaded files to the model's files by name (case-insensitive, with aliases)."""
    by_name = {folded(s.name): s.name for s in model.files}
    by_alias = {folded(a): s.name for s in model.files for a in s.aliases}
    files: dict[str, Given] = {}
    issues: list[pl.DataFrame] = []
    notes: list[str] = []
    aliased: list[tuple[str, Given]] = []
    for table in tables:
        name = by_name.get(folded(table.name))
        if name is not None and name not in files:
            files[name] = table
        elif name is not None:  # the same file twice, in other cases (Students.csv)
            issues.append(
                issueframe.file_issue(
                    UNEXPECTED_FILE,
                    table.name,
                    UNEXPECTED_FILE.text(
                        "second", file=table.name, name=name, first=files[name].name
                    ),
                )
            )
        elif folded(table.name) in by_alias:
            aliased.append((by_alias[folded(table.name)], table))
        else:
            issues.append(_unexpected(model, table.name))
    for name, table in aliased:
        if name in files:
            issues.append(_unexpected(model, table.name, f"{name} is there too"))
        else:
            files[name] = table
            notes.append(f"{table.name} is read as {name}")
    issues.extend(_missing(model, files, mode))
    default = mode.value
    return PackagePlan(
        files, dict.fromkeys(files, default), issueframe.concat(issues), tuple(notes)
    )


def _unexpected(model: DataModel, name: str, why: str = "") -> pl.DataFrame:
    names = [s.name for s in model.files]
    suggestion = did_you_mean(name, names)
    hint = f"; did you mean {suggestion}?" if suggestion and not why else ""
    reason = f" ({why})" if why else ""
    return issueframe.file_issue(
        UNEXPECTED_FILE,
        name,
        UNEXPECTED_FILE.text(file=name, model=model.name, reason=reason, hint=hint),
    )


def _missing(model: DataModel, files: dict[str, Given], mode: Mode) -> list[pl.DataFrame]:
    if mode is Mode.INCREMENTAL:
        return []
    issues = [
        issueframe.file_issue(
            MISSING_FILE,
            schema.name,
            MISSING_FILE.text(file=schema.name, model=model.name),
        )
        for schema in model.files
        if schema.required and schema.name not in files
    ]
    for group in model.at_least_one_of:
        if not any(name in files for name in group):
            issues.append(
                issueframe.file_issue(
                    MISSING_FILE,
                    group[0],
                    MISSING_FILE.text("one-of", model=model.name, files=" and ".join(group)),
                )
            )
    return issues
