"""The one clock: the only module that reads the machine's time.

Everything else receives a `Clock` (built once, in `bootstrap.py`, as `system_clock`) and asks
it; tests hand in a clock they move by hand, so no behaviour depends on today's date.
`tests/test_clock.py` fails when any other module of the package reads the wall clock
(`datetime.now`, `date.today`, `time.time`, `time.monotonic`, …).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Answers the current time as an aware UTC datetime."""


def system_clock() -> datetime:
    """Now, in UTC, from the machine's clock."""
    return datetime.now(UTC)


def monotonic() -> float:
    """Seconds on a clock that never goes back (for measuring waits, not for timestamps)."""
    return time.monotonic()
