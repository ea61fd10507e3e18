"""The `rosterport` command line: thin commands over the services.

Exit status: 0 valid / done, 1 not valid, 2 unusable input or arguments (one-line reason on
stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from rosterport import __version__
from rosterport.csvio.templates import templates_zip
from rosterport.domain.issues import Level, issue_type
from rosterport.domain.policy import Policy
from rosterport.domain.schemas import MODELS, get_model
from rosterport.errors import RosterportError
from rosterport.reports.csv_report import report_csv
from rosterport.reports.text_report import report_text
from rosterport.services.validation import AUTO, validate_paths

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNUSABLE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that prints a one-line reason and exits with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]  # argparse's returns NoReturn
        self.exit(EXIT_UNUSABLE, f"rosterport: {message} (see rosterport --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rosterport", description="Roster data hub for school districts.")
    parser.add_argument("--version", action="version", version=f"rosterport {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    validate = commands.add_parser(
        "validate", help="validate a folder, a zip or CSV files offline (same rules as uploads)"
    )
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    validate.add_argument(
        "--model",
        default=AUTO,
        choices=[AUTO, *MODELS],
        help="data model (default auto: detected from file names and the manifest)",
    )
    validate.add_argument(
        "--level",
        action="append",
        default=[],
        metavar="CODE=LEVEL",
        help="level of a record issue type, e.g. reference-not-found=error (repeatable)",
    )
    validate.add_argument("--format", choices=["text", "json", "csv"], default="text")
    validate.add_argument("-o", "--output", type=Path, help="write the report here")
    validate.add_argument("--demo", action="store_true", help="validate the bundled demo district")

    templates = commands.add_parser("templates", help="write a ZIP of header-only CSV templates")
    templates.add_argument("--model", required=True, choices=list(MODELS))
    templates.add_argument("-o", "--output", type=Path, required=True)
    return parser


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


def _validate(args: argparse.Namespace) -> int:
    paths: list[Path] = list(args.paths)
    if args.demo:
        paths.append(demo_path())
    if not paths:
        raise ValueError("give a folder, a .zip or CSV files to validate (or --demo)")
    policy = Policy(levels=parse_levels(args.level))
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
    _emit(output, args.output)
    if args.format != "text":  # text has them in the report; keep the other formats pure
        for note in upload.notes:
            print(f"note: {note}", file=sys.stderr)
    return EXIT_VALID if report.valid else EXIT_INVALID


def _templates(args: argparse.Namespace) -> int:
    args.output.write_bytes(templates_zip(get_model(args.model)))
    print(f"wrote templates for {args.model} to {args.output}")
    return EXIT_VALID


def _emit(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)


COMMANDS = {"validate": _validate, "templates": _templates}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (RosterportError, ValueError, OSError) as error:
        print(f"rosterport: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
