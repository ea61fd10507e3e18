"""An integration's mappings, applied to the raw tables of a delivery before validation.

- **Attributes mapping**: a source column is read as another attribute of the model (the
  SIS calls it `StudentNumber`, the model `Student_number`): header cells are renamed.
- **Schools mapping**: each source school is mapped to an existing school of the
  organization (its identifier replaces the source's in the school file and in every column
  that references schools, lists included), or created as it is. A school the mapping does
  not know is left out of the school file, so that its records fail their reference to it
  and are reported and filtered by the validator like any other dangling reference.

Pure functions: raw tables in, raw tables (and sentences saying what was done) out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from rosterport.domain.inputs import FileProblem, RawTable, position
from rosterport.domain.schemas.model import DataModel

CREATE = ""  # a schools-mapping target meaning "create the school as it is"


@dataclass(frozen=True, slots=True)
class School:
    """A school as the mapping sees it: identifier and name."""

    id: str
    name: str


def school_file(model: DataModel) -> tuple[str, str, str] | None:
    """(file, key column, name column) of the model's schools, if it has them."""
    for name, key, title in (
        ("schools.csv", "School_id", "School_name"),
        ("orgs.csv", "sourcedId", "name"),
    ):
        if any(f.name == name for f in model.files):
            return name, key, title
    return None


def _normal(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().replace("-", " ").split())


def auto_map(sources: Sequence[School], existing: Sequence[School]) -> dict[str, str]:
    """Map each source school to an existing one: same identifier first, then same name
    (case, accents, dashes and spaces aside); the others are created (`CREATE`)."""
    by_id = {s.id: s.id for s in existing}
    by_name: dict[str, str] = {}
    for school in existing:
        by_name.setdefault(_normal(school.name), school.id)
    mapped: dict[str, str] = {}
    for source in sources:
        if source.id in by_id:
            mapped[source.id] = source.id
        elif _normal(source.name) in by_name:
            mapped[source.id] = by_name[_normal(source.name)]
        else:
            mapped[source.id] = CREATE
    return mapped


def schools_in(table: RawTable, model: DataModel) -> list[School]:
    """The schools listed in a source school file (orgs.csv or schools.csv)."""
    found = school_file(model)
    if found is None:
        return []
    _, key, title = found
    key_at, title_at = _index(table, key), _index(table, title)
    if key_at is None:
        return []
    names = (
        table.frame.get_column(position(title_at))
        if title_at is not None
        else pl.Series([""] * table.rows)
    )
    return [
        School(str(i).strip(), str(n or "").strip())
        for i, n in zip(table.frame.get_column(position(key_at)), names, strict=True)
        if i is not None and str(i).strip()
    ]


def _index(table: RawTable, column: str) -> int | None:
    wanted = column.strip().lower()
    for index, cell in enumerate(table.header):
        if cell.strip().lower() == wanted:
            return index
    return None


def rename_columns(table: RawTable, renames: Mapping[str, str]) -> RawTable:
    """Header cells named like a key of `renames` (case-insensitively) read as its value."""
    lowered = {source.strip().lower(): target for source, target in renames.items() if target}
    header = tuple(lowered.get(cell.strip().lower(), cell) for cell in table.header)
    return RawTable(table.name, header, table.frame, table.blank_rows)


def map_schools(
    model: DataModel, tables: Sequence[RawTable], mapping: Mapping[str, str]
) -> tuple[list[RawTable], list[str]]:
    """Apply a schools mapping to the tables of one delivery; returns the tables and
    sentences about the schools left out."""
    found = school_file(model)
    if found is None or not mapping:
        return list(tables), []
    file, key, _ = found
    columns = {
        (ref.file, column)
        for ref in model.references
        if ref.target == file
        for column in ref.columns
    }
    columns.add((file, key))
    separators = {
        (schema.name, column.name): column.list_separator
        for schema in model.files
        for column in schema.columns
    }
    replace = {source: target or source for source, target in mapping.items()}
    out: list[RawTable] = []
    notes: list[str] = []
    for table in tables:
        frame = table.frame
        for name, column in sorted(columns):
            if name.lower() != table.name.lower():
                continue
            at = _index(table, column)
            if at is None:
                continue
            frame = frame.with_columns(
                _mapped(pl.col(position(at)), replace, separators.get((name, column)))
            )
        if table.name.lower() == file.lower():
            at = _index(table, key)
            if at is not None:
                original = table.frame.get_column(position(at)).str.strip_chars()
                known = original.is_in(list(mapping))
                unknown = sorted(set(original.filter(~known & original.is_not_null())))
                if unknown:
                    frame = frame.filter(known)
                    shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
                    notes.append(
                        f"{table.name}: {len(unknown)} school(s) not in the Schools Mapping "
                        f"({shown}) were left out, and so are their records; map them in "
                        "the SFTP app's Schools Mapping"
                    )
        out.append(RawTable(table.name, table.header, frame, table.blank_rows))
    return out, notes


def _mapped(column: pl.Expr, replace: Mapping[str, str], separator: str | None) -> pl.Expr:
    stripped = column.str.strip_chars()
    if separator is None:
        return stripped.replace(replace).alias(column.meta.output_name())
    items = stripped.str.split(separator).list.eval(pl.element().str.strip_chars().replace(replace))
    return (
        pl.when(column.is_null())
        .then(column)
        .otherwise(items.list.join(separator))
        .alias(column.meta.output_name())
    )


def apply_mappings(
    model: DataModel,
    tables: Sequence[RawTable | FileProblem],
    *,
    columns: Mapping[str, Mapping[str, str]],
    schools: Mapping[str, str],
) -> tuple[list[RawTable | FileProblem], list[str]]:
    """An integration's attributes mapping, then its schools mapping (unreadable files pass
    through untouched: the validator reports them)."""
    renamed = [
        rename_columns(t, _for_file(columns, t.name)) if isinstance(t, RawTable) else t
        for t in tables
    ]
    readable = [t for t in renamed if isinstance(t, RawTable)]
    mapped, notes = map_schools(model, readable, schools)
    by_name = {t.name: t for t in mapped}
    return [by_name.get(t.name, t) if isinstance(t, RawTable) else t for t in renamed], notes


def _for_file(columns: Mapping[str, Mapping[str, str]], name: str) -> Mapping[str, str]:
    for file, renames in columns.items():
        if file.lower() == name.lower():
            return renames
    return {}
