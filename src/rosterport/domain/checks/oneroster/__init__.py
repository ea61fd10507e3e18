"""OneRoster 1.1 rules the generic engine does not know (spec/oneroster-1.1.md).

- The package (`plan`): manifest.csv says, per data file, `bulk`, `delta` or `absent`. File
  names are case-sensitive (another case is read, with a notice). A package that looks like
  OneRoster 1.2 is refused as a whole; one without a manifest gets the OneRoster 1.0 hint.
- The STRICT header rule (`header`): every standard column, extras only to the right.
- Bulk and delta (`not_required`, `record_checks`, `uses_production`): bulk files leave
  `status` and `dateLastModified` empty; delta files fill them, and `tobedeleted` rows
  delete.
- Advisory checks (info): class and enrollment schools are orgs of type school; one
  primary teacher per class. And: classes.subjectCodes pairs with subjects.

The class is here; the package step is in `manifest` (manifest.csv) and `package` (the
uploaded files), the header rule in `headers`, the record checks in `records`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.checks.files import Given, PackagePlan
from rosterport.domain.checks.headers import HeaderMap
from rosterport.domain.checks.model_rules import FileCheck, ModelRules
from rosterport.domain.checks.oneroster.headers import map_strict
from rosterport.domain.checks.oneroster.manifest import (
    MANIFEST,
    Manifest,
    extra_manifest,
    file_property,
    no_manifest,
    read_manifest,
)
from rosterport.domain.checks.oneroster.package import (
    V12_NOTE,
    empty_hint,
    follow_manifest,
    match_files,
    version_12,
)
from rosterport.domain.checks.oneroster.records import (
    DELETE,
    bulk,
    delta,
    not_a_school,
    primary_teachers,
    subject_codes,
)
from rosterport.domain.inputs import loaded
from rosterport.domain.names import folded
from rosterport.domain.policy import Policy
from rosterport.domain.schemas.model import DataModel, FileSchema

__all__ = ["Manifest", "OneRosterRules", "file_property", "map_strict", "read_manifest"]


class OneRosterRules(ModelRules):
    """OneRoster 1.1: manifest, strict headers, bulk and delta, advisory checks."""

    needs_values = True

    def plan(self, model: DataModel, given: Sequence[Given], policy: Policy) -> PackagePlan:
        """Follow manifest.csv: which files to check and how each one counts.

        The organization's upload mode does not apply: the manifest decides per file. The
        files are read first: the manifest and the headers say what the package is.
        """
        del policy
        tables = [loaded(t) for t in given]
        manifests = sorted(
            (t for t in tables if folded(t.name) == MANIFEST), key=lambda t: t.name != MANIFEST
        )
        data = [t for t in tables if folded(t.name) != MANIFEST]
        names = [s.name for s in model.files]
        manifest = read_manifest(manifests[0], names) if manifests else None
        wrong = version_12(manifest, data)
        if wrong:
            return PackagePlan({}, {}, issueframe.concat(wrong), (V12_NOTE,))
        issues = list(manifest.issues) if manifest else [no_manifest(data)]
        issues.extend(extra_manifest(t) for t in manifests[1:])
        files = match_files(model, data, issues)
        modes = dict(manifest.modes) if manifest else {}
        if manifest:
            follow_manifest(model, files, modes, issues)
        planned: dict[str, Given] = {name: empty_hint(name, t) for name, t in files.items()}
        return PackagePlan(planned, modes, issueframe.concat(issues))

    def header(self, schema: FileSchema, header: tuple[str, ...], file: str) -> HeaderMap:
        """The STRICT rule: see `map_strict`."""
        return map_strict(schema, header, file)

    def not_required(self, schema: FileSchema, values: pl.DataFrame, mode: str) -> pl.Expr | None:
        """In a delta file, a `tobedeleted` row needs only its sourcedId.

        A deletion names the record to delete; requiring a title or a role on it would make
        SIS exports that send bare deletions fail. Values that are given are still checked
        for their format. The delta columns themselves (`status`, `dateLastModified`) and the
        sourcedId are demanded by `record_checks` (this exemption covers every required
        column, sourcedId included).
        """
        del schema
        if mode != "delta" or "status" not in values.columns:
            return None
        return pl.col("status").eq_missing(DELETE)

    def record_checks(self, check: FileCheck) -> pl.DataFrame:
        """Bulk/delta bookkeeping columns, then the per-file extra checks."""
        issues = [bulk(check) if check.mode == "bulk" else issueframe.empty()]
        if check.mode == "delta":
            issues.append(delta(check))
        if check.schema.name == "classes.csv":
            issues.extend([not_a_school(check, "a class"), subject_codes(check)])
        if check.schema.name == "enrollments.csv":
            issues.extend([not_a_school(check, "an enrollment"), primary_teachers(check)])
        return issueframe.concat(issues)

    def later_columns(self, schema: FileSchema) -> tuple[str, ...]:
        """Classes and enrollments look up the type of the orgs they name (`not_a_school`)."""
        return ("type",) if schema.name == "orgs.csv" else ()

    def uses_production(self, target: str, plan: PackagePlan, policy: Policy) -> bool:
        """References to a delta or absent file also resolve against production: that file
        only changes (or keeps) what is committed. A bulk file is the complete set. When the
        manifest does not say (it is missing or invalid, so the upload is refused anyway),
        only this upload counts."""
        del policy
        return plan.modes.get(target) in {"delta", "absent"}
