"""The declared mapping table holds: the docs list exactly its rows, it covers every column
of every roster model, and the mapping does what each row says (nulling a source column
changes the fields its rows name; a column that is not delivered changes nothing)."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from rosterport.domain.roster import (
    COLLECTIONS,
    DISTRICT_SOURCE,
    MAPPING,
    NO_SOURCE,
    ROSTER_MODELS,
    District,
    MappingRow,
    to_roster,
)
from rosterport.domain.roster.objects import FIELDS
from rosterport.domain.schemas import get_model
from tests.domain.roster.fixtures import DISTRICT, FIXTURES

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "roster-api.md"
EMPTY = "—"
ALL_COLUMNS = "*"


def documented_rows() -> set[MappingRow]:
    """Every row of the mapping tables of docs/roster-api.md (under `### Model \\`name\\``)."""
    found: set[MappingRow] = set()
    model = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("### Model `"):
            model = line.split("`")[1]
            continue
        if line.startswith("## "):
            model = None
        if model is None or not line.startswith("| ") or line.startswith("| source file"):
            continue
        if set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 5, line
        file, column, collection, field, note = (
            "" if c == EMPTY else c.strip("`") if i < 4 else c for i, c in enumerate(cells)
        )
        found.add(MappingRow(model, file, column, collection, field, note))
    return found


def test_the_docs_list_every_declared_row_and_no_other() -> None:
    documented, declared = documented_rows(), set(MAPPING)
    assert documented
    assert sorted(declared - documented, key=str) == [], "declared but not documented"
    assert sorted(documented - declared, key=str) == [], "documented but not declared"


@pytest.mark.parametrize("model", ROSTER_MODELS)
def test_every_column_of_the_model_is_declared(model: str) -> None:
    rows = [r for r in MAPPING if r.model == model]
    declared = {(r.file, r.column) for r in rows}
    for schema in get_model(model).files:
        for column in schema.columns:
            assert (schema.name, column.name) in declared or (
                schema.name,
                ALL_COLUMNS,
            ) in declared, (schema.name, column.name)
    files = {f.name: set(f.column_names) for f in get_model(model).files}
    for row in rows:
        if row.file == DISTRICT_SOURCE:
            assert row.column in {f.name for f in dataclasses.fields(District)}
        elif row.file != NO_SOURCE:
            assert row.column == ALL_COLUMNS or row.column in files[row.file], row
        else:
            assert row.column == NO_SOURCE
            assert row.note, row  # a constant or derived field says what it is
        if row.delivered:
            fields = {"sourcedId"} | {f.name for f in FIELDS[row.collection]}
            assert row.field in fields, row
        assert "password" not in row.field.lower()


def test_secret_columns_are_declared_not_delivered() -> None:
    for model in ROSTER_MODELS:
        for schema in get_model(model).files:
            for column in schema.columns:
                if column.secret:
                    rows = [
                        r
                        for r in MAPPING
                        if (r.model, r.file, r.column) == (model, schema.name, column.name)
                    ]
                    assert rows, (model, schema.name, column.name)
                    assert not any(r.delivered for r in rows)


# -- the mapping does what the rows say ---------------------------------------------------------


def _objects(result: dict[str, pl.DataFrame]) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        name: {row["sourcedId"]: json.loads(row["json"]) for row in frame.iter_rows(named=True)}
        for name, frame in result.items()
    }


def _changed(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> set[str]:
    """`collection.field` of every field whose value differs, for any object."""
    changed: set[str] = set()
    old, new = _objects(before), _objects(after)
    for name in COLLECTIONS:
        if set(old[name]) != set(new[name]):
            changed.add(f"{name}.sourcedId")
        for sourced_id in set(old[name]) | set(new[name]):
            a, b = old[name].get(sourced_id, {}), new[name].get(sourced_id, {})
            changed |= {f"{name}.{f}" for f in set(a) | set(b) if a.get(f) != b.get(f)}
    return changed


def _same(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> bool:
    return all(before[n].sort("sourcedId").equals(after[n].sort("sourcedId")) for n in COLLECTIONS)


def _cases() -> list[tuple[str, str, str]]:
    sources = {
        (r.model, r.file, r.column) for r in MAPPING if r.file != NO_SOURCE and r.model in FIXTURES
    }
    return sorted(sources)


def _nulled(model: str, file: str, column: str) -> dict[str, pl.DataFrame]:
    states = FIXTURES[model]()
    if file not in states:
        return states
    frame = states[file]
    targets = frame.columns if column == ALL_COLUMNS else [column]
    states[file] = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in targets)
    return states


_OTHER_DISTRICT = {
    "sourced_id": "district-other",
    "name": "Other District",
    "identifier": None,
}


@pytest.mark.parametrize(("model", "file", "column"), _cases())
def test_each_row_holds(model: str, file: str, column: str) -> None:
    rows = [r for r in MAPPING if (r.model, r.file, r.column) == (model, file, column)]
    before = to_roster(model, FIXTURES[model](), DISTRICT)
    if file == DISTRICT_SOURCE:
        other = dataclasses.replace(DISTRICT, **{column: _OTHER_DISTRICT[column]})
        after = to_roster(model, FIXTURES[model](), other)
    else:
        after = to_roster(model, _nulled(model, file, column), DISTRICT)
    declared = {f"{r.collection}.{r.field}" for r in rows if r.delivered}
    if not declared:  # not delivered: nothing at all changes, index columns included
        assert _same(before, after), (file, column)
        return
    missing = declared - _changed(before, after)
    assert not missing, f"nulling {file} {column} changed none of {sorted(missing)}"


def test_every_model_with_rows_has_a_fixture() -> None:
    assert set(ROSTER_MODELS) == set(FIXTURES)
    by_model = defaultdict(int)
    for row in MAPPING:
        by_model[row.model] += 1
    assert set(by_model) == set(ROSTER_MODELS)
