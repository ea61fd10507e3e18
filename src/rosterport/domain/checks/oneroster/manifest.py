"""manifest.csv of a OneRoster 1.1 package (the `plan` step): reading it, checking each
property and its value, and the issues of a package without one (the OneRoster 1.0 hint) or
with two. Which uploaded files the manifest then lets in is `package`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.checks.files import Table
from rosterport.domain.inputs import FIELDS, ROW, FileProblem, RawTable, position
from rosterport.domain.issue_type import Level
from rosterport.domain.issues import (
    EMPTY_FILE,
    HEADER_CASE,
    MANIFEST_INVALID,
    MANIFEST_PROPERTY,
    UNEXPECTED_FILE,
)
from rosterport.domain.names import did_you_mean, folded

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset(
    {
        EMPTY_FILE.code,
        HEADER_CASE.code,
        MANIFEST_INVALID.code,
        MANIFEST_PROPERTY.code,
        UNEXPECTED_FILE.code,
    }
)


MANIFEST = "manifest.csv"
MODES = ("absent", "bulk", "delta")
SOURCE_PROPERTIES = ("source.systemName", "source.systemCode")
# OneRoster 1.0 had no manifest and these seven files.
V10_FILES = (
    "orgs.csv",
    "academicSessions.csv",
    "courses.csv",
    "classes.csv",
    "users.csv",
    "enrollments.csv",
    "demographics.csv",
)
V12_FILES = (
    "roles.csv",
    "userProfiles.csv",
    "userResources.csv",
    "scoreScales.csv",
    "lineItemLearningObjectiveIds.csv",
    "lineItemScoreScales.csv",
    "resultLearningObjectiveIds.csv",
    "resultScoreScales.csv",
)
MANIFEST_HOW = (
    "the header propertyName,value and the rows manifest.version,1.0 and oneroster.version,1.1 "
    "and, for each of the 13 data files, file.<name> with absent, bulk or delta (file.users,bulk)"
)


def file_property(name: str) -> str:
    """The manifest property of a data file: users.csv → file.users."""
    return "file." + name.removesuffix(".csv")


@dataclass(frozen=True, slots=True)
class Manifest:
    """What manifest.csv says: the mode of each data file it names validly, the
    oneroster.version it claims, 1.2 files it marks bulk or delta, and its issues."""

    name: str
    modes: dict[str, str]
    version: str | None
    v12_files: tuple[str, ...]
    issues: tuple[pl.DataFrame, ...]


def _required_properties(files: Sequence[str]) -> tuple[str, ...]:
    return ("manifest.version", "oneroster.version", *(file_property(f) for f in files))


def read_manifest(table: Table, files: Sequence[str]) -> Manifest:
    """Read manifest.csv; `files` are the data files it must name (the 13 of OneRoster 1.1)."""
    if isinstance(table, FileProblem):
        message = MANIFEST_INVALID.text("unreadable", problem=table.message)
        if table.code == EMPTY_FILE.code:
            message = MANIFEST_INVALID.text("empty", file=table.name, how=MANIFEST_HOW)
        return Manifest(
            table.name,
            {},
            None,
            (),
            (issueframe.file_issue(MANIFEST_INVALID, table.name, message),),
        )
    header = _manifest_header(table)
    if header is not None and header["level"][0] == Level.ERROR.value:
        return Manifest(table.name, {}, None, (), (header,))
    issues = [header] if header is not None else []
    properties = _properties(table, issues)
    return _interpret(table.name, properties, files, issues)


def _manifest_header(table: RawTable) -> pl.DataFrame | None:
    """None when the header is `propertyName,value`; an info notice for another case; else
    a blocking issue."""
    cells = [c for c in table.header if c.strip()]
    if [folded(c) for c in cells] != ["propertyname", "value"]:
        return issueframe.file_issue(
            MANIFEST_INVALID,
            table.name,
            MANIFEST_INVALID.text("header", file=table.name, header=",".join(table.header)),
        )
    if cells != ["propertyName", "value"]:
        return issueframe.file_issue(
            HEADER_CASE,
            table.name,
            HEADER_CASE.text("manifest", file=table.name),
        )
    return None


def _properties(table: RawTable, issues: list[pl.DataFrame]) -> dict[str, tuple[int, str]]:
    """Property → (row, value); repeated properties and rows of the wrong width are issues."""
    width = len(table.header)
    lines = table.frame.select(
        pl.col(ROW),
        pl.col(position(0)).str.strip_chars(),
        pl.col(position(1)).str.strip_chars().fill_null(""),
        pl.col(FIELDS),
    ).rows()
    found: dict[str, tuple[int, str]] = {}
    for row, name, value, fields in lines:
        if fields > width:
            issues.append(
                issueframe.file_issue(
                    MANIFEST_INVALID,
                    table.name,
                    MANIFEST_INVALID.text("fields", file=table.name, fields=str(fields)),
                    row=row,
                    column=name,
                )
            )
        elif name in found:
            issues.append(
                issueframe.file_issue(
                    MANIFEST_INVALID,
                    table.name,
                    MANIFEST_INVALID.text("again", property=name, n=str(found[name][0])),
                    row=row,
                    column=name,
                    value=value,
                )
            )
        else:
            found[name] = (row, value)
    return found


def _interpret(
    name: str,
    properties: dict[str, tuple[int, str]],
    files: Sequence[str],
    issues: list[pl.DataFrame],
) -> Manifest:
    """Check each property's value; collect the modes and the claims of version 1.2."""
    by_property = {file_property(f): f for f in files}
    v12_by_property = {file_property(f): f for f in V12_FILES}
    required = _required_properties(files)
    modes: dict[str, str] = {}
    v12: list[str] = []
    unknown: list[str] = []
    for prop, (row, value) in properties.items():
        expected = _expected_value(prop, by_property)
        if expected is not None:
            if value in expected:
                if prop in by_property:
                    modes[by_property[prop]] = value
            else:
                issues.append(_bad_value(name, prop, row, value, expected))
        elif prop in v12_by_property and value in {"bulk", "delta"}:
            v12.append(f"{v12_by_property[prop]} ({prop},{value})")
        elif prop not in SOURCE_PROPERTIES:
            unknown.append(prop)
            issues.append(_unknown_property(name, prop, row, value, required))
    for prop in required:
        if prop not in properties:
            issues.append(_missing_property(name, prop, unknown))
    version = properties["oneroster.version"][1] if "oneroster.version" in properties else None
    return Manifest(name, modes, version, tuple(v12), tuple(issues))


def _expected_value(prop: str, by_property: dict[str, str]) -> tuple[str, ...] | None:
    """The accepted values of a required property (1.2 is accepted here and refused as a
    whole by the version check); None for any other property."""
    if prop == "manifest.version":
        return ("1.0",)
    if prop == "oneroster.version":
        return ("1.1", "1.2")
    if prop in by_property:
        return MODES
    return None


def _bad_value(
    name: str, prop: str, row: int, value: str, expected: tuple[str, ...]
) -> pl.DataFrame:
    shown = f"'{value}'" if value else "empty"
    listed = [e for e in expected if e != "1.2"]  # 1.2 is refused by the version check
    accepted = ", ".join(listed[:-1]) + " or " + listed[-1] if len(listed) > 1 else listed[0]
    hint = f" (write it in lower case: {value.lower()})" if value.lower() in expected else ""
    return issueframe.file_issue(
        MANIFEST_INVALID,
        name,
        MANIFEST_INVALID.text(
            "value", property=prop, shown=shown, file=name, accepted=accepted, hint=hint
        ),
        row=row,
        column=prop,
        value=value,
    )


def _unknown_property(
    name: str, prop: str, row: int, value: str, required: Sequence[str]
) -> pl.DataFrame:
    suggestion = did_you_mean(prop, [*required, *SOURCE_PROPERTIES])
    hint = f"; did you mean {suggestion}?" if suggestion else ""
    if prop.removeprefix("file.") + ".csv" in V12_FILES:
        hint = " (it names a OneRoster 1.2 file)"
    return issueframe.file_issue(
        MANIFEST_PROPERTY,
        name,
        MANIFEST_PROPERTY.text(property=prop or "(empty)", hint=hint),
        row=row,
        column=prop,
        value=value,
    )


def _missing_property(name: str, prop: str, unknown: Sequence[str]) -> pl.DataFrame:
    close = [u for u in unknown if did_you_mean(u, [prop])]
    hint = f" (is {close[0]} meant to be {prop}?)" if close else ""
    if prop.startswith("file."):
        fix = f"add the row {prop},absent (or bulk or delta)"
    else:
        fix = f"add the row {prop},{'1.0' if prop == 'manifest.version' else '1.1'}"
    return issueframe.file_issue(
        MANIFEST_INVALID,
        name,
        MANIFEST_INVALID.text("missing", property=prop, file=name, hint=hint, fix=fix),
        column=prop,
    )


def no_manifest(data: Sequence[Table]) -> pl.DataFrame:
    """The blocking issue for a package without manifest.csv (the 1.0 hint when it fits)."""
    present = {folded(t.name) for t in data}
    how = f"add {MANIFEST} with {MANIFEST_HOW}"
    if all(folded(f) in present for f in V10_FILES):
        message = MANIFEST_INVALID.text("version-1.0", fix=how)
    else:
        message = MANIFEST_INVALID.text(file=MANIFEST, fix=how)
    return issueframe.file_issue(MANIFEST_INVALID, MANIFEST, message)


def extra_manifest(table: Table) -> pl.DataFrame:
    return issueframe.file_issue(
        UNEXPECTED_FILE,
        table.name,
        UNEXPECTED_FILE.text("second-manifest", file=table.name, manifest=MANIFEST),
    )
