"""`rosterport validate` and `rosterport templates`: offline commands, no data dir."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from rosterport.clock import system_clock
from rosterport.csvio.templates import templates_zip
from rosterport.domain.issues import Level, issue_type
from rosterport.domain.policy import Policy
from rosterport.domain.schemas import get_model
from rosterport.reports.csv_report import report_csv
from rosterport.reports.text_report import printable, report_text
from rosterport.services.validation import validate_paths

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNUSABLE = 2
EXIT_HELD = 3


def parse_levels(pairs: Sequence[str]) -> dict[str, Level]:
    """`code=level` pairs → a mapping; ValueError with a clear message otherwise."""
    levels: dict[str, Level] = {}
    for pair in pairs:
        code, sep, level = pair.partition("=")
        if not sep:
            raise ValueError(
                f"--level {pair!r} must look like CODE=LEVEL, e.g. invalid-format=warn"
            )
        issue = issue_type(code.strip())
        if not issue.record:
            raise ValueError(f"the level of {issue.code} is fixed and cannot be changed")
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
        raise ValueError("give a folder, a .zip or CSV files to validate (or --demo)")
    policy = Policy(today=system_clock().date(), levels=parse_levels(args.level))
    upload = validate_paths(paths, args.model, policy)
    report = upload.validation.report
    if args.format == "json":
        payload = report.to_dict()
        payload["notes"] = [*upload.notes, *payload["notes"]]
        output = (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode()
    elif args.format == "csv":
        output = report_csv(report, bom=args.output is not None)
    else:
        output = report_text(report, upload.notes).encode()
    emit(output, args.output)
    if args.format != "text":  # text has them in the report; keep the other formats pure
        for note in upload.notes:
            print(f"note: {printable(note)}", file=sys.stderr)
    return EXIT_VALID if report.valid else EXIT_INVALID


def templates_command(args: argparse.Namespace) -> int:
    args.output.write_bytes(templates_zip(get_model(args.model)))
    print(f"wrote templates for {args.model} to {args.output}")
    return EXIT_VALID


def emit(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
