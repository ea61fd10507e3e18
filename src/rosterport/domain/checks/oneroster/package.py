"""The uploaded files of a OneRoster 1.1 package (the `plan` step, after the manifest is
read): evidence that the package is OneRoster 1.2, the files matched to the model's names
(another case is read, with a notice), and the manifest's modes followed (bulk and delta
files must be there, absent ones are ignored)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.checks.files import Table
from rosterport.domain.checks.oneroster.manifest import (
    MANIFEST,
    V12_FILES,
    Manifest,
    file_property,
)
from rosterport.domain.inputs import FileProblem, RawTable
from rosterport.domain.issues import (
    EMPTY_FILE,
    FILE_NAME_CASE,
    MISSING_FILE,
    UNEXPECTED_FILE,
    WRONG_VERSION,
)
from rosterport.domain.names import did_you_mean, folded
from rosterport.domain.schemas.model import DataModel

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset(
    {
        EMPTY_FILE.code,
        FILE_NAME_CASE.code,
        MISSING_FILE.code,
        UNEXPECTED_FILE.code,
        WRONG_VERSION.code,
    }
)

V12_USER_COLUMNS = (
    "primaryOrgSourcedId",
    "pronouns",
    "preferredGivenName",
    "preferredMiddleName",
    "preferredFamilyName",
    "userMasterIdentifier",
)
V12_FIX = "rosterport reads OneRoster 1.1: export the data as OneRoster 1.1 from your SIS"
V12_NOTE = (
    "the data files were not checked: the upload looks like OneRoster 1.2, and checking it "
    "against OneRoster 1.1 would only report the differences between the versions"
)


def version_12(manifest: Manifest | None, data: Sequence[Table]) -> list[pl.DataFrame]:
    """Evidence that the package is OneRoster 1.2, each piece a blocking `wrong-version`."""
    issues = []
    if manifest is not None and manifest.version == "1.2":
        issues.append(
            issueframe.file_issue(
                WRONG_VERSION,
                manifest.name,
                WRONG_VERSION.text(
                    evidence=f"{manifest.name} says oneroster.version 1.2", fix=V12_FIX
                ),
                column="oneroster.version",
                value="1.2",
            )
        )
    elif manifest is not None:
        issues.extend(
            issueframe.file_issue(
                WRONG_VERSION,
                manifest.name,
                WRONG_VERSION.text(
                    evidence=f"{manifest.name} lists {listed}, a OneRoster 1.2 file", fix=V12_FIX
                ),
            )
            for listed in manifest.v12_files
        )
    v12_files = {folded(f) for f in V12_FILES}
    v12_columns = {folded(c) for c in V12_USER_COLUMNS}
    for table in data:
        if folded(table.name) in v12_files:
            issues.append(
                issueframe.file_issue(
                    WRONG_VERSION,
                    table.name,
                    WRONG_VERSION.text(
                        evidence=f"{table.name} is a OneRoster 1.2 file", fix=V12_FIX
                    ),
                )
            )
        elif folded(table.name) == "users.csv" and isinstance(table, RawTable):
            found = [c for c in table.header if folded(c) in v12_columns]
            if found:
                issues.append(
                    issueframe.file_issue(
                        WRONG_VERSION,
                        table.name,
                        WRONG_VERSION.text(
                            evidence=f"{table.name} has the OneRoster 1.2 columns "
                            f"{', '.join(found)}",
                            fix=V12_FIX,
                        ),
                        column=found[0],
                    )
                )
    return issues


def match_files(
    model: DataModel, data: Sequence[Table], issues: list[pl.DataFrame]
) -> dict[str, Table]:
    """Uploaded files by the model file they are read as: the exact name first, then another
    case (with a notice); anything else is unexpected."""
    by_fold = {folded(s.name): s.name for s in model.files}
    files: dict[str, Table] = {}
    cased: list[tuple[str, Table]] = []
    for table in data:
        if table.name in by_fold.values() and table.name not in files:
            files[table.name] = table
        elif folded(table.name) in by_fold:
            cased.append((by_fold[folded(table.name)], table))
        else:
            suggestion = did_you_mean(table.name, by_fold.values())
            hint = f"; did you mean {suggestion}?" if suggestion else ""
            issues.append(
                issueframe.file_issue(
                    UNEXPECTED_FILE,
                    table.name,
                    UNEXPECTED_FILE.text("oneroster", file=table.name, hint=hint),
                )
            )
    for name, table in cased:
        if name in files:
            message = UNEXPECTED_FILE.text("cased-twice", file=table.name, name=name)
            issues.append(issueframe.file_issue(UNEXPECTED_FILE, table.name, message))
        else:
            files[name] = table
            message = FILE_NAME_CASE.text(found=table.name, file=name)
            issues.append(issueframe.file_issue(FILE_NAME_CASE, table.name, message))
    return files


def follow_manifest(
    model: DataModel, files: dict[str, Table], modes: dict[str, str], issues: list[pl.DataFrame]
) -> None:
    """Files marked bulk/delta must be there; files marked absent are ignored."""
    for schema in model.files:
        mode, table = modes.get(schema.name), files.get(schema.name)
        prop = file_property(schema.name)
        if mode in {"bulk", "delta"} and table is None:
            message = MISSING_FILE.text(
                "manifest", file=schema.name, mode=mode, manifest=MANIFEST, property=prop
            )
            issues.append(issueframe.file_issue(MISSING_FILE, schema.name, message))
        elif mode == "absent" and table is not None:
            message = UNEXPECTED_FILE.text(
                "absent", file=table.name, manifest=MANIFEST, property=prop
            )
            issues.append(issueframe.file_issue(UNEXPECTED_FILE, table.name, message))
            del files[schema.name]


def empty_hint(name: str, table: Table) -> Table:
    """A header-only (or empty) data file: say how OneRoster sends "nothing"."""
    if isinstance(table, FileProblem) and table.code == EMPTY_FILE.code:
        prop = file_property(name)
        message = EMPTY_FILE.text("oneroster", file=table.name, manifest=MANIFEST, property=prop)
        return FileProblem(table.name, table.code, message)
    return table
