"""Helpers shared by the test suite: fixture files, reading and validating them, and issue
lists flattened for one-line assertions (the frictionless style).

    assert issues(report) == [("students.csv", 17, "DOB", "invalid-format")]

Fixtures live in tests/data/<model>/<name-after-the-defect>/. A defect folder holds only the
files that differ from `valid-district/`; `district("student-bad-dob")` overlays it.
Tests import these helpers with `from tests.conftest import …`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rosterport.csvio.reader import read_table
from rosterport.domain.inputs import FileProblem, RawTable, position
from rosterport.domain.policy import Policy, Production
from rosterport.domain.report import Report
from rosterport.domain.schemas import get_model
from rosterport.domain.validator import Validation, validate
from tests.s3server import s3, s3_server  # noqa: F401 - fixtures: a bucket of a loopback S3 server

DATA = Path(__file__).resolve().parent / "data"
PASSPORT = DATA / "passport"
TODAY = date(2025, 9, 1)  # fixed, so two-digit years and date windows never drift
EPOCH = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # where the tests' clocks start


DAYS_AHEAD = "ROSTERPORT_TEST_DAYS_AHEAD"  # run the suite with the system clock moved ahead


@pytest.fixture(autouse=True)
def _system_clock_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """With ROSTERPORT_TEST_DAYS_AHEAD=N, the product's system clock (everything built by
    `build_hub` in the test process, the CLI's two-digit-year window) runs N days ahead of
    the machine's: `ROSTERPORT_TEST_DAYS_AHEAD=365 python3 tasks.py test` shows that no test
    depends on today's date. (Servers the tests start as subprocesses keep the machine's
    clock; they share it with nothing in the test.)"""
    days = int(os.environ.get(DAYS_AHEAD) or 0)
    if not days:
        return
    import rosterport.bootstrap
    import rosterport.cli.validation
    import rosterport.clock

    real = rosterport.clock.system_clock

    def ahead() -> datetime:
        return real() + timedelta(days=days)

    for module in (rosterport.clock, rosterport.bootstrap, rosterport.cli.validation):
        monkeypatch.setattr(module, "system_clock", ahead)


class Clock:
    """A clock the test moves by hand (`clock.now += timedelta(hours=2)`)."""

    def __init__(self, now: datetime = EPOCH) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class TickingClock:
    """A clock that starts at a fixed time and runs with real elapsed time, for tests where
    threads wait in real time (leases, heartbeats) yet nothing may depend on today's date."""

    def __init__(self, start: datetime = EPOCH) -> None:
        from rosterport.clock import monotonic

        self._monotonic = monotonic
        self._start = start
        self._t0 = monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=self._monotonic() - self._t0)


Issue = tuple[str | None, int | None, str | None, str]
LeveledIssue = tuple[str | None, int | None, str | None, str, str]
Files = dict[str, bytes]


def issues(report: Report) -> list[Issue]:
    """`(file, row, column, code)` per issue, in the report's reading order."""
    return [
        (file, row, column, code)
        for file, row, column, code in report.flatten(("file", "row", "column", "code"))
    ]


def leveled(report: Report) -> list[LeveledIssue]:
    """`(file, row, column, code, level)` per issue, in the report's reading order."""
    return [
        (file, row, column, code, level)
        for file, row, column, code, level in report.flatten(
            ("file", "row", "column", "code", "level")
        )
    ]


def messages(report: Report, code: str | None = None) -> list[str]:
    """The messages of the report's issues (of one code when given), in reading order."""
    frame = report.sorted_issues()
    if code is not None:
        frame = frame.filter(frame["code"] == code)
    return [str(m) for m in frame["message"]]


def files_in(folder: Path) -> Files:
    """The files of a fixture folder by name, sorted like a folder upload."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def district(*overlays: str, without: Iterable[str] = (), base: str = "valid-district") -> Files:
    """`tests/data/passport/<base>` with each overlay folder's files put over it."""
    files = files_in(PASSPORT / base)
    for overlay in overlays:
        files.update(files_in(PASSPORT / overlay))
    for name in without:
        del files[name]
    return files


def check(
    files: Mapping[str, bytes],
    model: str = "passport-roster",
    policy: Policy | None = None,
    production: Production | None = None,
) -> Validation:
    """Read `files` like an upload and validate them against `model` (today fixed)."""
    tables = [read_table(name, data) for name, data in files.items()]
    return validate(get_model(model), tables, policy or Policy(today=TODAY), production)


def table(data: bytes | str, name: str = "students.csv") -> RawTable:
    """Read one CSV that must be readable."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    result = read_table(name, raw)
    assert isinstance(result, RawTable), result
    return result


def problem(data: bytes | str, name: str = "students.csv") -> FileProblem:
    """Read one CSV that must be refused."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    result = read_table(name, raw)
    assert isinstance(result, FileProblem), result
    return result


def records(raw: RawTable) -> list[tuple[int, list[str]]]:
    """`(row, cells)` per record; cells missing from a short row read as ""."""
    columns = [position(i) for i in range(len(raw.header))]
    return [
        (row, ["" if cell is None else cell for cell in cells])
        for row, *cells in raw.frame.select("__row", *columns).iter_rows()
    ]


def csv_text(*lines: str, end: str = "\n") -> bytes:
    """Lines joined into CSV bytes, each terminated by `end`."""
    return "".join(line + end for line in lines).encode("utf-8")


# -- databases ---------------------------------------------------------------------------------

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import uuid

    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"rp_test_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as error:  # unreachable server: skip, or fail where it is required
        admin.dispose()
        reason = f"PostgreSQL not reachable at 127.0.0.1:5432: {error}"
        if os.environ.get("ROSTERPORT_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    del request


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each database test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rosterport.db'}"
    else:
        yield from _postgres_database(request)


@pytest.fixture
def engine(db_url: str) -> Iterator[Any]:
    """A migrated engine on `db_url`."""
    from rosterport.store.engine import create_engine, upgrade

    built = create_engine(db_url)
    upgrade(built)
    yield built
    built.dispose()


# -- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_demo(data_dir: Path) -> Iterator[dict[str, str]]:
    """`rosterport serve --demo` in a subprocess, as the README runs it: yields the URL and
    what it printed (the demo login and the folder of the demo district's files)."""
    import re
    import signal
    import subprocess
    import sys
    import threading
    import time

    import httpx

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rosterport",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--sftp-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "ROSTERPORT_DATA_DIR": str(data_dir)},
    )
    try:
        assert process.stdout is not None
        printed = ""
        for line in process.stdout:
            printed += line
            if "admin UI at" in line:
                break
        # keep reading what the server prints, or a full pipe would block it
        threading.Thread(target=process.stdout.read, daemon=True).start()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/login")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        found = {"url": url, "printed": printed}
        for name, pattern in (
            ("email", r"e-mail:\s+(\S+)"),
            ("password", r"password:\s+(\S+)"),
            ("files", r"demo district:\s+(\S+)"),
        ):
            match = re.search(pattern, printed)
            assert match is not None, printed
            found[name] = match.group(1)
        yield found
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


@pytest.fixture
def vendor(tmp_path: Path) -> Iterator[Any]:
    """An application's SFTP server on loopback (tests/services/test_sftp_export.Vendor) with
    its own event loop; tests/services/test_sftp_export.py has its own on a shared loop."""
    from tests.services.test_sftp_export import Vendor
    from tests.sftp.conftest import Loop

    loop = Loop()
    root = tmp_path / "vendor"
    root.mkdir()
    server = Vendor(root, loop)
    yield server
    server.close()
    loop.close()
