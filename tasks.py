#!/usr/bin/env python3
"""One-command entry points for people and CI, needing only Python 3.11+ and pip.

    python3 tasks.py demo   set up .venv and start rosterport (web UI, API, SFTP, worker)
    python3 tasks.py test   set up .venv and run the whole test suite (format, lint, types, tests)

Each command creates `.venv` beside this file when it is missing and installs the project
into it (editable, with the development extras), so a fresh clone needs nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".rosterport-installed"


def run(*args: str | Path) -> None:
    """Run a command from the project root; stop with its exit status when it fails."""
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=ROOT)
    if code != 0:
        sys.exit(code)


def setup() -> None:
    """Create the virtual environment and install the project when pyproject.toml changed."""
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    signature = str((ROOT / "pyproject.toml").stat().st_mtime_ns)
    if STAMP.exists() and STAMP.read_text() == signature:
        return
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(signature)


def demo() -> None:
    """The main job on embedded defaults: the admin UI, REST API, SFTP server and worker,
    with a demo organization and its administrator's password printed on first start."""
    command = [str(BIN / "rosterport"), "serve", "--demo"]
    print("+", " ".join(command), flush=True)
    try:
        code = subprocess.call(command, cwd=ROOT)
    except KeyboardInterrupt:
        code = 0
    if code not in (0, 130):
        sys.exit(code)


def test() -> None:
    """Format check, lint, strict types, then the test suite."""
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "ruff", "check", ".")
    run(BIN / "mypy")
    workers = os.environ.get("ROSTERPORT_TEST_WORKERS", "2")
    run(BIN / "python", "-m", "pytest", "-n", workers, "-q")


COMMANDS = {"demo": demo, "test": test, "setup": lambda: None}


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    setup()
    COMMANDS[sys.argv[1]]()


if __name__ == "__main__":
    main()
