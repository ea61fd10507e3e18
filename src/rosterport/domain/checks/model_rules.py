"""Per-model behaviour the validator asks for: package plan, header mapping, extra checks.

`ModelRules` is the Passport behaviour; OneRoster and SSO subclass it where they differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.checks.files import Given, PackagePlan, match_loose
from rosterport.domain.checks.headers import HeaderMap, map_loose
from rosterport.domain.policy import Policy, Production
from rosterport.domain.schemas.model import DataModel, FileSchema


@dataclass(frozen=True, slots=True)
class FileCheck:
    """What a model's extra record checks see of the file being checked."""

    schema: FileSchema
    # ROW + trimmed strings as given (null when empty); only ROW unless the model's rules
    # ask for them (`ModelRules.needs_values`): keeping them costs a copy of most columns
    values: pl.DataFrame
    normalized: pl.DataFrame  # ROW + normalized values (null when missing or invalid)
    mode: str  # full, incremental; OneRoster bulk, delta
    states: Mapping[str, FileState | None]  # files checked before this one
    production: Production | None


@dataclass(frozen=True, slots=True)
class FileState:
    """A checked file as later files see it: the surviving normalized records and the rows
    that were removed (for cascade messages)."""

    survivors: pl.DataFrame
    removed: pl.DataFrame


class ModelRules:
    """The rules every data model follows unless its subclass says otherwise."""

    needs_values = False  # whether `record_checks` reads `FileCheck.values`

    def plan(self, model: DataModel, tables: Sequence[Given], policy: Policy) -> PackagePlan:
        """Match uploaded files to the model's files; report missing and unexpected ones."""
        return match_loose(model, tables, policy.mode)

    def header(self, schema: FileSchema, header: tuple[str, ...], file: str) -> HeaderMap:
        """Map the header row to the schema's columns."""
        return map_loose(schema, header, file)

    def not_required(self, schema: FileSchema, values: pl.DataFrame, mode: str) -> pl.Expr | None:
        """Rows for which required values are not demanded (None: every row)."""
        del schema, values, mode
        return None

    def record_checks(self, check: FileCheck) -> pl.DataFrame:
        """Issues beyond values, keys, rules and declared references (none by default)."""
        del check
        return issueframe.empty()

    def later_columns(self, schema: FileSchema) -> tuple[str, ...]:
        """Columns of a checked file's records that `record_checks` of later files read
        (beyond reference targets and keys, which the validator keeps anyway)."""
        del schema
        return ()

    def notes(self, production: Production | None) -> tuple[str, ...]:
        """Sentences for the report about checks that could not run here."""
        del production
        return ()

    def uses_production(self, target: str, plan: PackagePlan, policy: Policy) -> bool:
        """Whether references to `target` also resolve against production."""
        del target, plan
        return policy.mode.value == "incremental"
