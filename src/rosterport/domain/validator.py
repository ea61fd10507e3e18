"""The validator: raw tables in, a report and the clean normalized records out.

For one upload and one data model:
1. the package: which uploaded file is which model file (missing, unexpected, manifest);
2. per file, in the model's dependency order: header row, malformed rows, required values and
   formats (normalizing as it goes), rules across columns, key uniqueness, then references
   to files already checked, so removals cascade (`reference_cascade`);
3. levels: each record issue takes the level the policy gives its type (or a fixed one);
   Warn removes the record, Error invalidates the upload, Info only reports.

A secret column's values are kept out of the report: the checks mask them, and on a malformed
row of a file with a secret column (its values may sit under other columns than their own,
a password under `grades`, say) no issue echoes a value (`shifted_values`).

The output records are what the next stage (diff and commit) works on: per model file, the
accepted records with normalized values and their spreadsheet row (`__row`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.checks.date_order import check_date_order
from rosterport.domain.checks.files import Given, PackagePlan, Table
from rosterport.domain.checks.keys import check_unique
from rosterport.domain.checks.model_rules import FileCheck, FileState, ModelRules
from rosterport.domain.checks.values import check_malformed, check_values
from rosterport.domain.formats import FormatContext
from rosterport.domain.inputs import ROW, FileProblem, RawTable, loaded, position
from rosterport.domain.issue_type import Level
from rosterport.domain.issues import CATALOGUE, issue_type
from rosterport.domain.policy import Policy, Production
from rosterport.domain.production_state import object_key, state_key
from rosterport.domain.reference_cascade import ReferenceCascade
from rosterport.domain.report import FileResult, FileStatus, Report, in_reading_order
from rosterport.domain.row_sets import in_rows, without
from rosterport.domain.schemas.model import DataModel, FileSchema
from rosterport.domain.shifted_values import mask_shifted


@dataclass(frozen=True, slots=True)
class Validation:
    """The report, and per model file the accepted normalized records and its mode."""

    report: Report
    records: dict[str, pl.DataFrame]
    modes: dict[str, str]
    filtered: dict[str, pl.DataFrame] = field(default_factory=dict)  # removed by Warn

    @property
    def valid(self) -> bool:
        return self.report.valid


def rules_for(model: DataModel) -> ModelRules:
    """The behaviour of a data model (composition of the model-specific checks)."""
    from rosterport.domain.checks.oneroster import OneRosterRules  # noqa: PLC0415 - avoids a cycle
    from rosterport.domain.checks.sso import SsoRules  # noqa: PLC0415 - avoids a cycle

    if model.name == "oneroster-1.1":
        return OneRosterRules()
    if model.name == "passport-sso":
        return SsoRules()
    return ModelRules()


def validate(
    model: DataModel,
    tables: Sequence[Given],
    policy: Policy,
    production: Production | None = None,
    *,
    consume: bool = False,
    keep_records: bool = True,
) -> Validation:
    """Validate one upload (its files as read) against `model`.

    `consume`: `tables` is a list the validator may empty, so that each file's raw table is
    freed once it is checked (what later files need of it is in its normalized records):
    at 1M students the students' raw columns are gone before the enrollments are checked.
    The caller must hold no other reference to the tables. A DeferredTable is read when its
    file is checked.

    `keep_records=False`: the caller wants the report only (offline `validate`), so of each
    checked file only the columns later files read are kept (the keys and reference targets),
    not every column of every record until the end: `Validation.records` then holds those."""
    rules = rules_for(model)
    plan = rules.plan(model, tables, policy)
    names = [t.name for t in tables]
    if consume and isinstance(tables, list):
        tables.clear()
    run = _Run(model, rules, policy, production, plan, keep_records=keep_records)
    for schema in model.files:
        given = plan.files.get(schema.name)
        if given is not None:
            table = loaded(given)
            del given
            run.check_file(schema, table)
            if consume:
                plan.files.pop(schema.name)
            del table
    return run.finish(names)


class _Run:
    """State of one validation while its files are checked in dependency order."""

    def __init__(
        self,
        model: DataModel,
        rules: ModelRules,
        policy: Policy,
        production: Production | None,
        plan: PackagePlan,
        *,
        keep_records: bool = True,
    ) -> None:
        self.model = model
        self.keep_records = keep_records
        self.rules = rules
        self.policy = policy
        self.production = production
        self.plan = plan
        self.present = frozenset(plan.files)  # the model files of the upload (plan.files may
        # lose each table once it is checked: see `validate(consume=True)`)
        self.context = FormatContext(today=policy.today)
        self.issues: list[pl.DataFrame] = [self._leveled(plan.issues)]
        self.states: dict[str, FileState | None] = {}
        self.results: dict[str, FileResult] = {}
        self.records: dict[str, pl.DataFrame] = {}
        self.notes: list[str] = [*plan.notes, *rules.notes(production)]
        self.cascade = ReferenceCascade(
            model, rules, policy, production, plan, self.present, self.states, self.notes
        )

    # -- one file ---------------------------------------------------------------------------

    def check_file(self, schema: FileSchema, table: Table) -> None:
        if isinstance(table, FileProblem):
            self.issues.append(
                issueframe.file_issue(issue_type(table.code), table.name, table.message)
            )
            self.states[schema.name] = None
            self.results[schema.name] = FileResult(
                table.name, FileStatus.FAILED, 0, 0, 0, schema_file=schema.name
            )
            return
        header = self.rules.header(schema, table.header, table.name)
        file_issues = [self._leveled(header.issues)]
        if header.blocked:
            self.issues.extend(file_issues)
            self.states[schema.name] = None
            self.results[schema.name] = FileResult(
                table.name, FileStatus.FAILED, table.rows, 0, 0, schema_file=schema.name
            )
            return
        mode = self.plan.modes.get(schema.name, self.policy.mode.value)
        values = self._values(schema, table, header.positions)
        not_required = self.rules.not_required(schema, values, mode)
        requirements = {
            column: req
            for (file, column), req in self.policy.requirements.items()
            if file == schema.name
        }
        checked = check_values(
            schema,
            values,
            self.context,
            requirements,
            not_required_rows=not_required,
            trims=self.model.trims_values,
            keep_values=self.rules.needs_values,
        )
        values = checked.values
        normalized = checked.normalized
        record_issues = [
            check_malformed(table.frame, len(table.header), table.name),
            checked.issues,
            *(check_date_order(r, normalized) for r in self.model.rules if r.file == schema.name),
            check_unique(schema.name, normalized, schema.key, entity=schema.entity),
            self.rules.record_checks(
                FileCheck(schema, values, normalized, mode, self.states, self.production)
            ),
        ]
        leveled = self._leveled(issueframe.concat(record_issues))
        removed = _rows_at(leveled, Level.WARN)
        reference_issues, normalized, removed = self.cascade.check(schema, normalized, removed)
        reference_issues = self._leveled(reference_issues)
        leveled = mask_shifted(schema, table, issueframe.concat([leveled, reference_issues]))
        if table.name != schema.name:
            leveled = leveled.with_columns(
                pl.when(pl.col("file") == schema.name)
                .then(pl.lit(table.name))
                .otherwise(pl.col("file"))
                .alias("file")
            )
        file_issues.append(leveled)
        self.issues.extend(file_issues)
        # what later files and staging need of the removed records: their keys and row,
        # not every column (every student removed would be a second copy of students.csv)
        kept_columns = [c for c in self._removed_columns(schema) if c in normalized.columns]
        if not self.keep_records:  # the report only: what later files read, nothing more
            later = dict.fromkeys([*kept_columns, *self.rules.later_columns(schema)])
            normalized = normalized.select(ROW, *(c for c in later if c in normalized.columns))
        survivors = without(normalized, removed)
        rejected = _rows_at(leveled, Level.ERROR).join(removed, on=ROW, how="anti").height
        self.states[schema.name] = FileState(
            survivors=survivors,
            removed=normalized.select(ROW, *kept_columns).filter(in_rows(removed.get_column(ROW))),
        )
        self.records[schema.name] = survivors
        failed = any((f.get_column("level") == Level.ERROR.value).any() for f in file_issues)
        self.results[schema.name] = FileResult(
            table.name,
            FileStatus.FAILED if failed else FileStatus.VALIDATED,
            table.rows,
            table.rows - removed.height - rejected,
            removed.height,
            rejected,
            schema_file=schema.name,
        )

    def _removed_columns(self, schema: FileSchema) -> list[str]:
        """The columns of a file's removed records that are used later: the columns other
        files' references point to (cascade messages), the object key and the state key
        (what staging keeps in production), and `status` (OneRoster deletions)."""
        wanted = [
            *(
                c
                for r in self.model.references
                if r.target == schema.name
                for c in r.target_columns
            ),
            *object_key(schema),
            *state_key(schema),
            "status",
        ]
        return list(dict.fromkeys(wanted))

    def _values(
        self, schema: FileSchema, table: RawTable, positions: dict[str, int]
    ) -> pl.DataFrame:
        """ROW + one column per schema column present, named, as read (no copy)."""
        return table.frame.select(
            pl.col(ROW),
            *(
                pl.col(position(positions[c.name])).alias(c.name)
                for c in schema.columns
                if c.name in positions
            ),
        )

    # -- levels and the end -------------------------------------------------------------------

    def _leveled(self, issues: pl.DataFrame) -> pl.DataFrame:
        """Fill in the policy's level where a check left it open."""
        issues = issueframe.conform(issues)
        if not issues.height or not issues.get_column("level").is_null().any():
            return issues
        # the policy's level of every code, looked up by the code's enum index (no strings)
        levels = pl.Series(
            [self.policy.level(code).value if t.record else None for code, t in CATALOGUE.items()],
            dtype=issueframe.LEVEL,
        )
        return issues.with_columns(
            pl.coalesce(pl.col("level"), pl.lit(levels).gather(pl.col("code").to_physical()))
        )

    def finish(self, names: Sequence[str]) -> Validation:
        by_name = {r.name: r for r in self.results.values()}
        files = tuple(by_name[name] for name in names if name in by_name)
        # one frame in reading order, each part freed as it is taken in: never held twice
        holder = [issueframe.concat_consuming(self.issues)]
        issues = in_reading_order(holder, files)
        report = Report(self.model.name, files, issues, tuple(self.notes))
        del issues
        filtered = {name: state.removed for name, state in self.states.items() if state}
        return Validation(report, self.records, dict(self.plan.modes), filtered)


def _rows_at(issues: pl.DataFrame, level: Level) -> pl.DataFrame:
    """Distinct rows that have at least one issue at `level`."""
    return (
        issues.filter((pl.col("level") == level.value) & pl.col("row").is_not_null())
        .select(pl.col("row").alias(ROW))
        .unique(maintain_order=True)
    )
