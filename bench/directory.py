"""Accounts directory write path timings (not a timed test).

    .venv/bin/python bench/directory.py --accounts 100000 [--database URL]

Builds a synthetic directory view (`accounts_of`'s shape) of N people, then measures on a
fresh database: the first version (read the directory, compare, insert every account in one
transaction) and a 1% change (1% of the people renamed, 0.1% removed: suspended). The
mapping (`to_roster`) and the password hashing job are not included: the first is measured
by bench/roster_api.py, the second runs after the version is in production (~20 ms each).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

import sqlalchemy as sa  # noqa: E402 - after the path is set

from rosterport.blobs import LocalBlobStore  # noqa: E402
from rosterport.crypto import SecretBox  # noqa: E402
from rosterport.domain import directory as domain  # noqa: E402
from rosterport.services.hub import Hub  # noqa: E402
from rosterport.services.organizations import create_org  # noqa: E402
from rosterport.snapshots import SnapshotStore  # noqa: E402
from rosterport.store.directory import sync as store  # noqa: E402
from rosterport.store.engine import create_engine, upgrade  # noqa: E402


def people(n: int, renamed: int = 0) -> pl.DataFrame:
    ids = pl.int_range(0, n, eager=True)
    frame = pl.DataFrame({"i": ids}).select(
        pl.format("s{}", "i").alias("sourced_id"),
        pl.format("{}", "i").alias("sis_id"),
        pl.lit("student").alias("role"),
        pl.format("Given{}", pl.col("i") % 997).alias("given_name"),
        pl.lit(None, pl.String).alias("middle_name"),
        pl.when(pl.col("i") < renamed)
        .then(pl.lit("Renamed"))
        .otherwise(pl.format("Family{}", pl.col("i") % 1009))
        .alias("family_name"),
        pl.format("p{}@example.org", "i").alias("email"),
        pl.format("p{}", "i").alias("username"),
        pl.format("|school-{}|", pl.col("i") % 200).alias("schools"),
        pl.format("|{}|", pl.col("i") % 200).alias("school_ids"),
        pl.lit("|09|").alias("grades"),
    )
    return frame.with_columns(domain.digest(frame).alias("digest"))


def step(engine: sa.Engine, org_id: int, incoming: pl.DataFrame, now: datetime) -> float:
    started = time.perf_counter()
    with engine.connect() as conn:
        existing = store.existing(conn, org_id)
    planned = domain.changes(existing, incoming, now=now, grace=timedelta(days=30))
    with engine.begin() as conn:
        store.insert_accounts(conn, org_id, planned.added, now)
        store.update_accounts(conn, planned.changed, now)
        store.set_state(conn, planned.suspended, domain.SUSPENDED, now, absent=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        engine = create_engine(url)
        upgrade(engine)
        now = datetime(2026, 1, 1, tzinfo=UTC)
        blobs = LocalBlobStore(Path(tmp) / "blobs")
        hub = Hub(engine, blobs, SnapshotStore(blobs, SecretBox(b"k" * 32)), lambda: now)
        org = create_org(hub, f"bench-{int(time.time())}", "Bench")
        n = args.accounts
        first = step(engine, org.id, people(n), now)
        change = people(n, renamed=n // 100).slice(0, n - n // 1000)
        second = step(engine, org.id, change, now + timedelta(hours=1))
        print(f"{engine.dialect.name} {n} accounts: first {first:.2f} s, 1% change {second:.2f} s")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
