"""The declared mapping table: which source column becomes which OneRoster field.

Each model module declares its rows next to the code that does what they say; the docs
(docs/roster-api.md) list the same rows, and tests hold both: every documented row is a
declared one and the other way round, and nulling a source column in a fixture district
changes every field its rows name (and nothing at all for a column that is not delivered).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from rosterport.domain.production_state import conform_state, empty_state
from rosterport.domain.schemas import DataModel

DISTRICT_SOURCE: Final = "(district)"  # the District given to to_roster
NO_SOURCE: Final = ""  # a constant or a value derived from no column


@dataclass(frozen=True, slots=True)
class MappingRow:
    """`column` of `file` (of data model `model`) gives `field` of `collection`.

    A row with an empty `collection` declares a column that is not delivered; a row with an
    empty `file` and `column`, a field with a constant or derived value (`note` says which).
    `file` is DISTRICT_SOURCE for the District's attributes.
    """

    model: str
    file: str
    column: str
    collection: str
    field: str
    note: str = ""

    @property
    def delivered(self) -> bool:
        return bool(self.collection)


Row = tuple[str, str, str, str]  # (file, column, "collection.field" or "", note)


def rows(model: str, declared: Iterable[Row]) -> tuple[MappingRow, ...]:
    """MappingRows of `model` from compact (file, column, "collection.field", note) tuples;
    `collection.field` may name several targets separated by spaces."""
    out: list[MappingRow] = []
    for file, column, targets, note in declared:
        if not targets:
            out.append(MappingRow(model, file, column, "", "", note))
            continue
        for target in targets.split():
            collection, _, field = target.partition(".")
            out.append(MappingRow(model, file, column, collection, field, note))
    return tuple(out)


def not_delivered(file: str, columns: Iterable[str], note: str) -> list[Row]:
    """Rows for columns of `file` that the roster does not deliver."""
    return [(file, column, "", note) for column in columns]


def source_state(model: DataModel, states: Mapping[str, pl.DataFrame], file: str) -> pl.DataFrame:
    """The production state of `file` with exactly its schema's columns (a file missing
    from `states` has no records)."""
    schema = model.file(file)
    frame = states.get(file)
    return empty_state(schema) if frame is None else conform_state(schema, frame)
