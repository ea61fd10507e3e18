"""`rosterport validate` and `rosterport templates`: offline commands, no data dir."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import BinaryIO

from rosterport.clock import system_clock
from rosterport.csvio.templates import templates_zip
from rosterport.domain.issue_type import Level
from rosterport.domain.issues import issue_type
from rosterport.domain.policy import Policy
from rosterport.domain.schemas import get_model
from rosterport.errors import InputError
from rosterport.reports.csv_report import write_report_csv
from rosterport.reports.json_report import write_report
from rosterport.reports.text_report import printable, report_text
from rosterport.services.file_validation import validate_paths

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNUSABLE = 2
EXIT_HELD = 3


def parse_levels(pairs: Sequence[str]) -> dict[str, Level]:
    """`code=level` pairs → a mapping; InputError with a clear message otherwise."""
    levels: dict[str, Level] = {}
    for pair in pairs:
        code, sep, level = pair.partition("=")
        if not sep:
            raise InputError(
                f"--level {pair!r} must look like CODE=LEVEL, e.g. invalid-format=warn"
            )
        issue = issue_type(code.strip())
        if not issue.record:
            raise InputError(f"the level of {issue.code} is fixed and cannot be changed")
        levels[issue.code] = Level.parse(level)
    return levels


def demo_path() -> Path:
    """The bundled demo district (a public Clever-format sandbox district)."""
    return Path(str(resources.files("rosterport") / "demo" / "passport-roster"))


def validate_command(args: argparse.Namespace) -> int:
    paths: list[Path] = list(args.paths)
    if args.demo:
        paths.append(demo_path())
    if not paths:
        raise InputError("give a folder, a .zip or CSV files to validate (or --demo)")
    policy = Policy(today=system_clock().date(), levels=parse_levels(args.level))
    upload = validate_paths(paths, args.model, policy, keep_records=False)  # a report only
    report = upload.validation.report
    with output_stream(args.output) as out:  # JSON and CSV stream the issues in batches
        if args.format == "json":
            write_report(out, report, upload.notes)
        elif args.format == "csv":
            write_report_csv(out, report, bom=args.output is not None)
        else:
            out.write(report_text(report, upload.notes).encode())
    if args.format != "text":  # text has them in the report; keep the other formats pure
        for note in upload.notes:
            print(f"note: {printable(note)}", file=sys.stderr)
    return EXIT_VALID if report.valid else EXIT_INVALID


def templates_command(args: argparse.Namespace) -> int:
    args.output.write_bytes(templates_zip(get_model(args.model)))
    print(f"wrote templates for {args.model} to {args.output}")
    return EXIT_VALID


def emit(data: bytes, output: Path | None) -> None:
    with output_stream(output) as out:
        out.write(data)


@contextmanager
def output_stream(output: Path | None) -> Iterator[BinaryIO]:
    """Standard output, or the file `output` (written as the report is made)."""
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    with output.open("wb") as out:
        yield out
