"""The machine-readable report (spec/validation.md), written as a stream.

The contract's object is written key by key; its `issues` array a batch at a time: polars
writes each batch as JSON lines, which become the array's elements (one issue per line), so
a report of millions of issues never sits in memory as text, nor as Python objects.

    {
      "model": "passport-roster",
      "valid": false,
      "summary": {"error": 3, "warn": 1, "info": 0},
      "files": [...],
      "issues": [
        {"file":"students.csv","row":17,"column":"DOB","value":"13/45/2010",...},
        ...
      ],
      "notes": [...]
    }

`write_object` writes any object whose values are JSON values or writers of their own (the
upload command puts the report inside its answer that way).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

import polars as pl

from rosterport.domain.report import Report

Writer = Callable[[BinaryIO, int], None]  # writes one JSON value at an indentation level
INDENT = "  "


def write_object(out: BinaryIO, items: Sequence[tuple[str, Any]], level: int = 0) -> None:
    """`{"key": value, …}` with each value a JSON value or a `Writer`, indented like
    `json.dumps(indent=2)`; a newline after the closing brace at the top level."""
    pad = INDENT * (level + 1)
    out.write(b"{\n")
    for i, (key, value) in enumerate(items):
        out.write(f"{pad}{json.dumps(key)}: ".encode())
        if callable(value):
            value(out, level + 1)
        else:
            out.write(json_value(value, level + 1))
        out.write(b",\n" if i < len(items) - 1 else b"\n")
    out.write(f"{INDENT * level}}}".encode() + (b"\n" if level == 0 else b""))


def json_value(value: Any, level: int) -> bytes:
    """A JSON value indented as if it began at `level`."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return text.replace("\n", "\n" + INDENT * level).encode()


def write_array(out: BinaryIO, batches: Iterable[pl.DataFrame], level: int) -> None:
    """A JSON array of the batches' rows, one object per line."""
    pad = (INDENT * (level + 1)).encode()
    first = True
    for batch in _ahead(batches):
        if not batch.height:
            continue
        buffer = io.BytesIO()  # (polars writes to a buffer much faster than to a str)
        batch.write_ndjson(buffer)
        lines = buffer.getvalue().rstrip(b"\n")
        out.write((b"[\n" if first else b",\n") + pad + lines.replace(b"\n", b",\n" + pad))
        first = False
    out.write(b"[]" if first else b"\n" + (INDENT * level).encode() + b"]")


def _ahead(batches: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """The batches, each one made on a thread while the one before is written: a report's
    batches render their messages when asked (polars, which releases the GIL) and writing
    them is serializing (the GIL's), so the two overlap. One batch ahead, no more."""
    iterator = iter(batches)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report") as pool:
        pending = pool.submit(next, iterator, None)
        while (batch := pending.result()) is not None:
            pending = pool.submit(next, iterator, None)
            yield batch


def report_items(report: Report, notes: Sequence[str] = ()) -> list[tuple[str, Any]]:
    """The contract's keys and values (`issues` as a writer); `notes` come before the
    report's own."""

    def issues(out: BinaryIO, level: int) -> None:
        write_array(out, report.batches(), level)

    return [
        *report.header().items(),
        ("issues", issues),
        ("notes", [*notes, *report.notes]),
    ]


def report_writer(report: Report, notes: Sequence[str] = ()) -> Writer:
    """The report as a value inside another object."""

    def write(out: BinaryIO, level: int) -> None:
        write_object(out, report_items(report, notes), level)

    return write


def write_report(out: BinaryIO, report: Report, notes: Sequence[str] = ()) -> None:
    """The report as a JSON document."""
    write_object(out, report_items(report, notes))
