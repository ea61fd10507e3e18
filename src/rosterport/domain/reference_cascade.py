"""The cascade of removals: each file's references checked, in the model's dependency
order, against what the files checked before it kept (and what production holds, where the
model's rules say so).

A record that fails a filtering reference at Warn is removed, and the records that point to
it fail in turn when their file is checked (`checks/references.py` says why). Filtering
references are checked first, so a record is reported for the first reference it fails
only. A deletion (OneRoster `tobedeleted`) is no reference target, and its own references
are not checked. Offline (no production), a reference that production might satisfy is not
checked, and a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.checks.files import PackagePlan
from rosterport.domain.checks.model_rules import FileState, ModelRules
from rosterport.domain.checks.references import Targets, check_reference
from rosterport.domain.inputs import ROW
from rosterport.domain.issue_type import Level
from rosterport.domain.issues import REFERENCE_NOT_FOUND
from rosterport.domain.policy import Policy, Production
from rosterport.domain.row_sets import in_rows, without
from rosterport.domain.schemas.model import DataModel, FileSchema, Reference


@dataclass(frozen=True, slots=True)
class ReferenceCascade:
    """What the references of one validation resolve against. `states` and `notes` are the
    validation's own: the states fill in as files are checked, and an unchecked reference
    adds its note."""

    model: DataModel
    rules: ModelRules
    policy: Policy
    production: Production | None
    plan: PackagePlan
    present: frozenset[str]  # the model files of the upload
    states: dict[str, FileState | None]
    notes: list[str]

    def check(
        self, schema: FileSchema, normalized: pl.DataFrame, removed: pl.DataFrame
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """Check the file's references; returns issues (levels left to the policy),
        updated records, removed rows."""
        issues: list[pl.DataFrame] = []
        # The records in play are a mask over `normalized`: each check is given only its
        # reference's columns of them (at 8M enrollments a copy of every column per
        # filtering reference would be most of the file again).
        # A deletion's references are not checked: it needs only its key (see _deletes).
        out = pl.Series(values=[], dtype=pl.UInt32).append(removed.get_column(ROW))
        refs = self.model.references_from(schema.name)
        ordered = [r for r in refs if r.filtering] + [r for r in refs if not r.filtering]
        for reference in ordered:
            if not all(c in normalized.columns for c in reference.columns):
                continue
            targets = self._targets(reference, normalized, removed)
            if targets is None:
                continue
            column = schema.column(reference.columns[0])
            playing = normalized.select(~in_rows(out) & ~_deletes(normalized)).to_series()
            in_play = normalized.select(ROW, *reference.columns).filter(playing)
            result = check_reference(
                reference,
                in_play,
                targets,
                list_column=column.list_separator is not None,
                required=column.required,
            )
            del in_play
            if not result.issues.height:
                continue
            issues.append(result.issues)
            if result.lists is not None:
                normalized = normalized.update(result.lists, on=ROW, how="left")
            if reference.filtering:
                level = reference.fixed_level or self.policy.level(REFERENCE_NOT_FOUND.code)
                failed = result.failed
                out = out.append(failed.get_column(ROW))
                if level is Level.WARN:  # (Error invalidates the upload; Info keeps the record)
                    removed = pl.concat([removed, failed]).unique(maintain_order=True)
        return issueframe.concat(issues), normalized, removed

    def _targets(
        self, reference: Reference, normalized: pl.DataFrame, removed: pl.DataFrame
    ) -> Targets | None:
        """What `reference` may resolve against, or None when that cannot be known here."""
        rename = dict(zip(reference.target_columns, reference.columns, strict=True))
        kept: list[pl.DataFrame] = []
        removed_rows = pl.DataFrame(
            schema={**dict.fromkeys(reference.columns, pl.String), ROW: pl.UInt32}
        )
        deleting: pl.DataFrame | None = None  # target records this upload deletes (_deletes)
        if reference.target == reference.file:
            survivors = without(normalized, removed)
            deleting = survivors.filter(_deletes(survivors))
            kept.append(survivors.select(reference.target_columns).rename(rename))
        elif reference.target in self.present:
            state = self.states.get(reference.target)
            if state is None:
                return None  # the target file could not be read: nothing to compare with
            deleting = state.survivors.filter(_deletes(state.survivors))
            kept.append(state.survivors.select(reference.target_columns).rename(rename))
            removed_rows = state.removed.select(*reference.target_columns, ROW).rename(rename)
        use_production = self.rules.uses_production(reference.target, self.plan, self.policy)
        if reference.target not in self.present or use_production:
            if self.production is None:
                # Offline: what production holds is unknown, so a value missing from the upload
                # may well be committed already; say so rather than report false errors.
                self._note_unchecked(reference)
                return None
            committed = self.production.keys.get(reference.target)
            if committed is not None and committed.height:
                kept.append(committed.select(reference.target_columns).rename(rename))
        if not kept:
            kept.append(pl.DataFrame(schema=dict.fromkeys(reference.columns, pl.String)))
        frame = pl.concat(
            [k.select(pl.col(c).cast(pl.String) for c in reference.columns) for k in kept]
        )
        if deleting is not None and deleting.height:  # not a target here nor in production
            gone = deleting.select(pl.col(reference.target_columns).cast(pl.String)).rename(rename)
            frame = frame.join(gone, on=list(reference.columns), how="anti")
        return Targets(kept=frame, removed=removed_rows)

    def _note_unchecked(self, reference: Reference) -> None:
        why = (
            "that file is not in this upload"
            if reference.target not in self.present
            else f"{reference.target} only adds to what is committed"
        )
        note = (
            f"{reference.file} {' + '.join(reference.columns)} was not checked against "
            f"{reference.target}: {why}, and production data is not available here (it is "
            "checked when the upload is made to an organization)"
        )
        if note not in self.notes:
            self.notes.append(note)


def _deletes(frame: pl.DataFrame) -> pl.Expr:
    """Rows that delete their record: OneRoster delta rows with status `tobedeleted`.

    Such a record is no reference target (not in this upload, and not through production,
    which still holds it), and its own references are not checked. Files without a `status`
    column have none. (In a bulk file `status` must be empty, so there are none there either
    once the upload is valid.)
    """
    if "status" not in frame.columns:
        return pl.lit(value=False)
    return pl.col("status").eq_missing("tobedeleted")
