"""A commit killed with SIGKILL at several points leaves production entirely before or
entirely after, and the retried upload succeeds — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from rosterport.bootstrap import CRASH_AT
from rosterport.domain.version_status import IN_PRODUCTION
from tests.conftest import district

POINTS_BEFORE = ["after-snapshot", "after-version-insert", "before-transaction-commit"]
POINTS_AFTER = ["after-commit"]


def rosterport(
    data_dir: Path, db_url: str, *args: str | Path, crash: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ROSTERPORT_DATA_DIR": str(data_dir),
        "ROSTERPORT_DATABASE_URL": db_url,
    }
    env.pop(CRASH_AT, None)
    if crash:
        env[CRASH_AT] = crash
    return subprocess.run(
        [sys.executable, "-m", "rosterport", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write_district(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def history(data_dir: Path, db_url: str) -> list[dict[str, object]]:
    done = rosterport(data_dir, db_url, "history", "--org", "crashy", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def current_version(db_url: str) -> int | None:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT current_version_id FROM datasets")).scalar()
    finally:
        engine.dispose()


def upload(
    data_dir: Path, db_url: str, folder: Path, *, crash: str | None = None
) -> subprocess.CompletedProcess[str]:
    return rosterport(
        data_dir,
        db_url,
        "upload",
        folder,
        "--org",
        "crashy",
        "--model",
        "passport-roster",
        "--format",
        "json",
        crash=crash,
    )


@pytest.mark.parametrize("point", POINTS_BEFORE + POINTS_AFTER)
def test_sigkill_during_commit(tmp_path: Path, db_url: str, point: str) -> None:
    data_dir = tmp_path / "data"
    assert rosterport(data_dir, db_url, "org", "create", "crashy").returncode == 0
    done = upload(data_dir, db_url, write_district(tmp_path / "v1", district()))
    assert done.returncode == 0, done.stderr
    v1 = current_version(db_url)

    changed = district()
    changed["students.csv"] = changed["students.csv"].replace(b"Schmeler", b"Crashed")
    second = write_district(tmp_path / "v2", changed)
    assert upload(data_dir, db_url, second, crash=point).returncode == -signal.SIGKILL
    after_kill = [r["status"] for r in history(data_dir, db_url)]
    if point in POINTS_BEFORE:
        assert current_version(db_url) == v1
        assert after_kill == [IN_PRODUCTION]
    else:
        assert current_version(db_url) != v1
        assert after_kill == ["Pending propagation", IN_PRODUCTION]

    again = upload(data_dir, db_url, second)  # the retry (or simply the next upload)
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    assert result["status"] == IN_PRODUCTION
    statuses = [r["status"] for r in history(data_dir, db_url)]
    if point in POINTS_BEFORE:  # production was entirely before: the retry makes the change
        assert statuses == [IN_PRODUCTION, IN_PRODUCTION]
        assert result["changes"]["students.csv"]["updated"] == 1
    else:  # entirely after: the killed commit was in production with its job queued,
        # which the next process ran; the retry finds nothing left to change
        assert current_version(db_url) != v1
        assert statuses == [IN_PRODUCTION, IN_PRODUCTION, IN_PRODUCTION]
        assert result["changes"]["students.csv"]["updated"] == 0
