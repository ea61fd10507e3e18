"""Validate an upload given as paths: read, pick the model, run the validator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from rosterport.csvio.reader import read_table
from rosterport.csvio.sources import Source, ZipLimits, read_source
from rosterport.domain.checks.files import Given
from rosterport.domain.detect import detect_model
from rosterport.domain.inputs import DeferredTable
from rosterport.domain.policy import Policy, Production
from rosterport.domain.schemas import DataModel, get_model
from rosterport.domain.validator import Validation, validate
from rosterport.errors import InputError

AUTO = "auto"


@dataclass(frozen=True, slots=True)
class ValidatedUpload:
    """A validation with the model chosen and how the files were found."""

    model: DataModel
    validation: Validation
    notes: tuple[str, ...]


def choose_model(name: str, source: Source) -> tuple[DataModel, str | None]:
    """The named model, or for "auto" the detected one with a sentence saying why."""
    if name != AUTO:
        return get_model(name), None
    detected, reason = detect_model(f.name for f in source.files)
    if detected is None:
        names = ", ".join(f.name for f in source.files) or "no files"
        raise InputError(
            f"cannot tell the data model from the file names ({names}); name it with --model"
        )
    return get_model(detected), f"data model {detected} chosen because {reason}"


def validate_source(
    source: Source,
    model_name: str,
    policy: Policy,
    production: Production | None = None,
    *,
    keep_records: bool = True,
) -> ValidatedUpload:
    """Validate a source's files. `keep_records=False` when only the report is wanted (the
    records are then not kept whole: see `validate`)."""
    model, chosen = choose_model(model_name, source)
    # a file on disk is read from its path (its bytes never sit in memory whole), and only
    # when the validator reaches it
    tables: list[Given] = [
        DeferredTable(f.name, partial(read_table, f.name, f.path or f.data)) for f in source.files
    ]
    validation = validate(
        model, tables, policy, production, consume=True, keep_records=keep_records
    )
    notes = tuple(n for n in (chosen, *source.notes) if n)
    return ValidatedUpload(model, validation, notes)


def validate_paths(
    paths: Sequence[Path],
    model_name: str,
    policy: Policy,
    limits: ZipLimits | None = None,
    *,
    keep_records: bool = True,
) -> ValidatedUpload:
    """Validate a folder, a zip or single files (offline: no production data)."""
    source = read_source(paths, limits)
    return validate_source(source, model_name, policy, keep_records=keep_records)
