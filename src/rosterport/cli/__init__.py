"""The `rosterport` command line: thin commands over the services.

Exit status: 0 valid / done; 1 not valid (or production changed since the preview); 2
unusable input or arguments (a one-line reason on stderr, never a traceback, with control
characters escaped: it may quote names from an upload); 3 held by a safeguard. The grammar
(commands and arguments) is `cli/parser.py`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from rosterport.cli.parser import build_parser
from rosterport.cli.validation import (
    EXIT_INVALID,
    EXIT_UNUSABLE,
    templates_command,
    validate_command,
)
from rosterport.errors import ProductionChangedError, RosterportError
from rosterport.reports.text_report import printable


def _deferred(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command whose module is imported only when it runs (the web and SSH stacks load
    slowly)."""

    def run(args: argparse.Namespace) -> int:
        loaded = importlib.import_module(f"rosterport.cli.{module}")
        command: Callable[[argparse.Namespace], int] = getattr(loaded, f"{name}_command")
        return command(args)

    return run


def _on_data(name: str) -> Callable[[argparse.Namespace], int]:
    """A data-dir command, imported when run: `validate` then starts without the database
    layer."""

    def run(args: argparse.Namespace) -> int:
        from rosterport.cli import datasets  # noqa: PLC0415 - deferred import, see above

        command: Callable[[argparse.Namespace], int] = getattr(datasets, f"{name}_command")
        return command(args)

    return run


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": validate_command,
    "templates": templates_command,
    **{
        name: _on_data(name)
        for name in (
            "org",
            "upload",
            "history",
            "download",
            "restore",
            "diff",
            "approve",
            "discard",
            "worker",
            "jobs",
            "db",
        )
    },
    "serve": _deferred("web", "serve"),
    "admin": _deferred("web", "admin"),
    "sftp": _deferred("sftp", "sftp"),
    "apps": _deferred("apps", "apps"),
    "accounts": _deferred("directory", "accounts"),
    "vault": _deferred("directory", "vault"),
    "scim": _deferred("scim", "scim"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ProductionChangedError as error:
        print(f"rosterport: {printable(str(error))}", file=sys.stderr)
        return EXIT_INVALID
    except (RosterportError, ValueError, OSError) as error:
        print(f"rosterport: {printable(str(error))}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
