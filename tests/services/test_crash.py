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

from rosterport.services.versions import CRASH_AT, IN_PRODUCTION
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


@pytest.mark.parametrize("point", POINTS_BEFORE + POINTS_AFTER)
def test_sigkill_during_commit(tmp_path: Path, db_url: str, point: str) -> None:
    data_dir = tmp_path / "data"
    assert rosterport(data_dir, db_url, "org", "create", "crashy").returncode == 0
    first = write_district(tmp_path / "v1", district())
    done = rosterport(
        data_dir, db_url, "upload", first, "--org", "crashy", "--model", "passport-roster"
    )
    assert done.returncode == 0, done.stderr
    v1 = current_version(db_url)

    changed = district()
    changed["students.csv"] = changed["students.csv"].replace(b"Schmeler", b"Crashed")
    second = write_district(tmp_path / "v2", changed)
    killed = rosterport(
        data_dir,
        db_url,
        "upload",
        second,
        "--org",
        "crashy",
        "--model",
        "passport-roster",
        crash=point,
    )
    assert killed.returncode == -signal.SIGKILL

    if point in POINTS_BEFORE:  # production is entirely before
        assert current_version(db_url) == v1
        assert [r["status"] for r in history(data_dir, db_url)] == [IN_PRODUCTION]
        retried = rosterport(
            data_dir,
            db_url,
            "upload",
            second,
            "--org",
            "crashy",
            "--model",
            "passport-roster",
            "--format",
            "json",
        )
        assert retried.returncode == 0, retried.stderr
        result = json.loads(retried.stdout)
        assert result["status"] == IN_PRODUCTION
        assert result["changes"]["students.csv"]["updated"] == 1
    else:  # entirely after: the version is current, its job still queued; a worker runs it
        assert current_version(db_url) != v1
        assert next(r["status"] for r in history(data_dir, db_url)) == "Pending propagation"
        drained = rosterport(
            data_dir,
            db_url,
            "upload",
            second,
            "--org",
            "crashy",
            "--model",
            "passport-roster",
            "--format",
            "json",
        )
        assert drained.returncode == 0, drained.stderr
        statuses = [r["status"] for r in history(data_dir, db_url)]
        assert statuses[1] == IN_PRODUCTION  # the killed commit's job ran in this process
        assert json.loads(drained.stdout)["changes"]["students.csv"]["updated"] == 0
