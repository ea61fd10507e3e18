"""The OneRoster 1.1 package (the `plan` step): reading and interpreting manifest.csv, the
OneRoster 1.2 and 1.0 hints, and matching the uploaded files to the manifest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from rosterport.domain.checks.files import Table
from rosterport.domain.checks.oneroster.issues import file_issue
from rosterport.domain.issues import (
    EMPTY_FILE,
    FILE_NAME_CASE,
    HEADER_CASE,
    MANIFEST_INVALID,
    MANIFEST_PROPERTY,
    MISSING_FILE,
    UNEXPECTED_FILE,
    WRONG_VERSION,
    Level,
)
from rosterport.domain.names import did_you_mean, folded
from rosterport.domain.schemas.model import DataModel
from rosterport.domain.tables import FIELDS, ROW, FileProblem, RawTable, position

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset(
    {
        EMPTY_FILE.code,
        FILE_NAME_CASE.code,
        HEADER_CASE.code,
        MANIFEST_INVALID.code,
        MANIFEST_PROPERTY.code,
        MISSING_FILE.code,
        UNEXPECTED_FILE.code,
        WRONG_VERSION.code,
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
V12_USER_COLUMNS = (
    "primaryOrgSourcedId",
    "pronouns",
    "preferredGivenName",
    "preferredMiddleName",
    "preferredFamilyName",
    "userMasterIdentifier",
)
MANIFEST_HOW = (
    "the header propertyName,value and the rows manifest.version,1.0 and oneroster.version,1.1 "
    "and, for each of the 13 data files, file.<name> with absent, bulk or delta (file.users,bulk)"
)
V12_FIX = "rosterport reads OneRoster 1.1: export the data as OneRoster 1.1 from your SIS"
V12_NOTE = (
    "the data files were not checked: the upload looks like OneRoster 1.2, and checking it "
    "against OneRoster 1.1 would only report the differences between the versions"
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
            table.name, {}, None, (), (file_issue(MANIFEST_INVALID, table.name, message),)
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
        return file_issue(
            MANIFEST_INVALID,
            table.name,
            MANIFEST_INVALID.text("header", file=table.name, header=",".join(table.header)),
        )
    if cells != ["propertyName", "value"]:
        return file_issue(
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
                file_issue(
                    MANIFEST_INVALID,
                    table.name,
                    MANIFEST_INVALID.text("fields", file=table.name, fields=str(fields)),
                    row=row,
                    column=name,
                )
            )
        elif name in found:
            issues.append(
                file_issue(
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
    return file_issue(
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
    return file_issue(
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
    return file_issue(
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
    return file_issue(MANIFEST_INVALID, MANIFEST, message)


def extra_manifest(table: Table) -> pl.DataFrame:
    return file_issue(
        UNEXPECTED_FILE,
        table.name,
        UNEXPECTED_FILE.text("second-manifest", file=table.name, manifest=MANIFEST),
    )


# -- files ----------------------------------------------------------------------------------


def version_12(manifest: Manifest | None, data: Sequence[Table]) -> list[pl.DataFrame]:
    """Evidence that the package is OneRoster 1.2, each piece a blocking `wrong-version`."""
    issues = []
    if manifest is not None and manifest.version == "1.2":
        issues.append(
            file_issue(
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
            file_issue(
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
                file_issue(
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
                    file_issue(
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
                file_issue(
                    UNEXPECTED_FILE,
                    table.name,
                    UNEXPECTED_FILE.text("oneroster", file=table.name, hint=hint),
                )
            )
    for name, table in cased:
        if name in files:
            message = UNEXPECTED_FILE.text("cased-twice", file=table.name, name=name)
            issues.append(file_issue(UNEXPECTED_FILE, table.name, message))
        else:
            files[name] = table
            message = FILE_NAME_CASE.text(found=table.name, file=name)
            issues.append(file_issue(FILE_NAME_CASE, table.name, message))
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
            issues.append(file_issue(MISSING_FILE, schema.name, message))
        elif mode == "absent" and table is not None:
            message = UNEXPECTED_FILE.text(
                "absent", file=table.name, manifest=MANIFEST, property=prop
            )
            issues.append(file_issue(UNEXPECTED_FILE, table.name, message))
            del files[schema.name]


def empty_hint(name: str, table: Table) -> Table:
    """A header-only (or empty) data file: say how OneRoster sends "nothing"."""
    if isinstance(table, FileProblem) and table.code == EMPTY_FILE.code:
        prop = file_property(name)
        message = EMPTY_FILE.text("oneroster", file=table.name, manifest=MANIFEST, property=prop)
        return FileProblem(table.name, table.code, message)
    return table
