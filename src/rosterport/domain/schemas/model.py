"""The vocabulary of the schema catalogue: data models, files, columns, keys, references.

Everything about a data model is declarative data built from these classes; the checks and
the validator read it, the template generator prints it, the docs describe it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rosterport.domain.formats import Format
from rosterport.domain.issue_type import Level


class HeaderRule(StrEnum):
    """How header rows are matched to the columns of a file."""

    LOOSE = "loose"  # case-insensitive, trimmed, any order, optional columns may be left out
    STRICT = "strict"  # OneRoster: all columns, exact names, standard order


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a file."""

    name: str
    format: Format
    required: bool = False
    description: str = ""
    aliases: tuple[str, ...] = ()  # other header names read as this column
    list_separator: str | None = None  # OneRoster guid lists: items separated by ","

    @property
    def secret(self) -> bool:
        return self.format.secret


@dataclass(frozen=True, slots=True)
class Reference:
    """Values of `columns` in `file` must be a key of `target` (or one of its columns).

    Filtering references remove the record (level from the organization's settings for
    `reference-not-found`, Warn by default); advisory ones have a fixed level and keep it.
    """

    file: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    filtering: bool = True
    fixed_level: Level | None = None
    noun: str = "record"  # what the target is, for messages: "student", "section"
    note: str = ""


@dataclass(frozen=True, slots=True)
class DateOrder:
    """In `file`, the date in `later` must not be before the one in `earlier`.

    Reported as `invalid-format` on `later`, at the organization's level for it, or at
    `fixed_level` when the rule is only advisory.
    """

    file: str
    earlier: str
    later: str
    fixed_level: Level | None = None


@dataclass(frozen=True, slots=True)
class FileSchema:
    """One file of a data model."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    aliases: tuple[str, ...] = ()  # other file names read as this file (staff.csv → admins.csv)
    description: str = ""
    entity: str = "record"  # singular noun: "student"
    # what identifies a record in production when `key` is empty (its uniqueness is checked
    # elsewhere, e.g. SSO credentials by their resolved account): never a secret column
    identity: tuple[str, ...] = ()
    # the part of the key that names the person or object itself (Student_id), whatever the
    # other parts (School_id): a record that validation filtered keeps the production
    # records of the same person or object as they were (default: the whole key)
    object_key: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True, slots=True)
class DataModel:
    """A data model: its files in dependency order, references and header rules.

    `files` is in the order the validator processes them: every file comes after the files
    its filtering references point to, so a removed record cascades to what references it.
    """

    name: str
    title: str
    description: str
    files: tuple[FileSchema, ...]
    references: tuple[Reference, ...] = ()
    rules: tuple[DateOrder, ...] = ()
    header_rule: HeaderRule = HeaderRule.LOOSE
    at_least_one_of: tuple[tuple[str, ...], ...] = ()
    trims_values: bool = True
    notes: tuple[str, ...] = field(default=())

    def file(self, name: str) -> FileSchema:
        for schema in self.files:
            if schema.name == name:
                return schema
        raise KeyError(f"{self.name} has no file {name}")

    def references_from(self, file: str) -> tuple[Reference, ...]:
        return tuple(r for r in self.references if r.file == file)
