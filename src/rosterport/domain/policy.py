"""Inputs of a validation besides the files: levels, data requirements, mode, production.

`Policy` is what an organization (or a command line) decides; `Production` is what is already
committed, for references in Incremental mode, OneRoster delta files and SSO account look-ups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import polars as pl

from rosterport.domain.issue_type import Level
from rosterport.domain.issues import CATALOGUE, issue_type
from rosterport.errors import InputError


class Requirement(StrEnum):
    """A per-attribute data requirement set on an integration (spec/validation.md)."""

    REPORT = "report"  # "Report if missing": info, the record stays available
    SKIP = "skip"  # "Skip if missing": warn, the record is removed

    @property
    def level(self) -> Level:
        return Level.INFO if self is Requirement.REPORT else Level.WARN


class Mode(StrEnum):
    """Upload mode: Full (the upload is the complete set) or Incremental."""

    FULL = "full"
    INCREMENTAL = "incremental"


@dataclass(frozen=True, slots=True)
class Policy:
    """Validation settings: today's date (from the caller's clock: it sets the two-digit
    year window), record issue levels, data requirements, upload mode."""

    today: date
    levels: Mapping[str, Level] = field(default_factory=dict)
    requirements: Mapping[tuple[str, str], Requirement] = field(default_factory=dict)
    mode: Mode = Mode.FULL

    def __post_init__(self) -> None:
        for code in self.levels:
            if not issue_type(code).record:
                raise InputError(
                    f"the level of {code!r} is fixed; only record issues can be changed: "
                    + ", ".join(c for c, t in CATALOGUE.items() if t.record)
                )

    def level(self, code: str) -> Level:
        """The level of a record issue type: the override, else the catalogue default."""
        return self.levels.get(code, issue_type(code).level)


@dataclass(frozen=True, slots=True)
class Production:
    """Committed data that references may resolve against.

    `keys` holds, per file name, a frame of that file's committed records (at least the
    columns references point to). `accounts` (columns user_id, username, school_id) and
    `applications` serve the SSO look-ups. None means "unknown" (offline validation): checks
    that need it are skipped with a notice rather than failing every record.
    """

    keys: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    accounts: pl.DataFrame | None = None
    applications: frozenset[str] | None = None
