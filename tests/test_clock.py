"""One clock: no module of the package but `rosterport/clock.py` reads the machine's time.

Every time the product uses (jobs, leases, sessions, expiry, notifications, SFTP quiet
periods, rate limits, two-digit years) comes from the injected clock, so tests that fix the
clock never depend on today's date. This test reads the source, so a new call to the wall
clock anywhere in `src/` fails the suite.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import rosterport
from rosterport.clock import system_clock
from tests.conftest import TickingClock

PACKAGE = Path(rosterport.__file__).resolve().parent
CLOCK_MODULE = PACKAGE / "clock.py"

# (object, attribute) pairs that read the wall clock
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "monotonic_ns"),
    ("time", "perf_counter"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
}
# names that may not be imported from the time module (`from time import time`)
TIME_FUNCTIONS = {a for o, a in WALL_CLOCK if o == "time"}


def wall_clock_reads(source: str) -> list[tuple[int, str]]:
    """(line, what) for each read of the wall clock in `source`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
            if (owner, node.attr) in WALL_CLOCK:
                found.append((node.lineno, f"{owner}.{node.attr}"))
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            found.extend(
                (node.lineno, f"from time import {a.name}")
                for a in node.names
                if a.name in TIME_FUNCTIONS
            )
        if isinstance(node, ast.Name) and node.id == "utc_now":
            found.append((node.lineno, "utc_now"))
    return found


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != CLOCK_MODULE
        for line, what in wall_clock_reads(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "read the injected clock instead:\n" + "\n".join(offenders)


def test_the_scan_finds_every_spelling_of_the_wall_clock() -> None:
    source = "\n".join(
        [
            "import datetime as dt, time",
            "from time import monotonic",
            "a = datetime.now(UTC)",
            "b = dt.datetime.utcnow()",
            "c = date.today()",
            "d = time.time()",
            "e = utc_now()",
            "f = hub.clock()",  # the injected clock: allowed
        ]
    )
    assert [line for line, _ in wall_clock_reads(source)] == [2, 3, 4, 5, 6, 7]


def test_the_system_clock_is_aware_utc() -> None:
    now = system_clock()
    assert now.tzinfo is UTC


def test_the_ticking_clock_starts_where_told_and_runs() -> None:
    start = datetime(2031, 1, 1, tzinfo=UTC)
    clock = TickingClock(start)
    first, second = clock(), clock()
    assert start <= first <= second < start + timedelta(minutes=1)


def test_the_suite_can_run_with_the_system_clock_ahead() -> None:
    """ROSTERPORT_TEST_DAYS_AHEAD moves the clock hubs are built with (checked here with it
    set or not: the hub's clock is the system clock plus the offset)."""
    import os

    from rosterport import bootstrap

    days = int(os.environ.get("ROSTERPORT_TEST_DAYS_AHEAD") or 0)
    hub_clock = bootstrap.system_clock()
    machine = datetime.now(UTC)  # the test itself may read the machine's clock
    assert abs((hub_clock - machine) - timedelta(days=days)) < timedelta(minutes=1)
