"""SCIM push timings against the loopback SCIM server (not a timed test).

    .venv/bin/python bench/scim.py --accounts 1000000 --changed 10000 [--no-bulk]

Builds a directory of N synthetic accounts (bench/directory.py's people), makes the SCIM
application already hold the ones a 1% change touches (they are pushed once first: that
first push, `--changed` creates, is measured too), then changes `--changed` accounts (renamed)
and measures that push: the plan over the whole directory (polars) and the requests, in
batches of 200 (one /Bulk request each, or one request each with `--no-bulk`), against
scim2-server's in-memory WSGI application on 127.0.0.1. The accounts the application does not
hold are outside its scope (another role), so the server holds exactly what was pushed.
Peak RSS is the process's (the server runs in the same process: it is included).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from bench.directory import people  # noqa: E402 - after the path is set
from rosterport.blobs import LocalBlobStore  # noqa: E402
from rosterport.crypto import SecretBox  # noqa: E402
from rosterport.domain import directory as domain  # noqa: E402
from rosterport.services import scim, scim_push  # noqa: E402
from rosterport.services.hub import Hub  # noqa: E402
from rosterport.services.organizations import create_org  # noqa: E402
from rosterport.snapshots import SnapshotStore  # noqa: E402
from rosterport.store.directory import sync as store  # noqa: E402
from rosterport.store.engine import create_engine, upgrade  # noqa: E402
from rosterport.store.jobs import Job  # noqa: E402
from tests.scim_server import scim_server  # noqa: E402

TOKEN = "bench-token"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def push(hub: Hub, app: scim.ScimApp) -> float:
    started = time.perf_counter()
    scim_push.push(hub, Job(0, scim.PUSH, {"app_id": app.id, "version_id": 1}, 1, 1))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=10_000)
    parser.add_argument("--no-bulk", action="store_true")
    parser.add_argument("--database", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    n, k = args.accounts, args.changed
    with tempfile.TemporaryDirectory() as tmp, scim_server(TOKEN, bulk=not args.no_bulk) as srv:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        engine = create_engine(url)
        upgrade(engine)
        now = datetime(2026, 1, 1, tzinfo=UTC)
        blobs = LocalBlobStore(Path(tmp) / "blobs")
        hub = Hub(engine, blobs, SnapshotStore(blobs, SecretBox(b"k" * 32)), lambda: now)
        org = create_org(hub, f"bench-{int(time.time())}", "Bench")
        started = time.perf_counter()
        frame = people(n).with_columns(  # the first k are the application's (teachers)
            pl.when(pl.int_range(0, n) < k)
            .then(pl.lit("teacher"))
            .otherwise(pl.col("role"))
            .alias("role")
        )
        frame = frame.with_columns(domain.digest(frame).alias("digest"))
        with engine.begin() as conn:
            store.insert_accounts(conn, org.id, frame, now)
        prepared = time.perf_counter() - started
        app = scim.add_app(
            hub,
            org,
            name="bench",
            base_url=srv.url,
            token=TOKEN,
            settings=scim.ScimSettings(roles=("teacher",)),
        )
        first = push(hub, app)
        renamed = frame.slice(0, k).with_columns(family_name=pl.lit("Renamed"))
        renamed = renamed.with_columns(domain.digest(renamed).alias("digest"))
        with engine.begin() as conn:
            ids = store.existing(conn, org.id).select("id", "sourced_id")
            store.update_accounts(
                conn, renamed.join(ids, on="sourced_id"), now + timedelta(hours=1)
            )
        second = push(hub, app)
        held = len(srv.users())
        assert held == k, held
        assert all(u["name"]["familyName"] == "Renamed" for u in list(srv.users().values())[:100])
        how = "one request each" if args.no_bulk else "bulk"
        print(
            f"{engine.dialect.name} {n:,} accounts (prepared in {prepared:.1f} s), {how}: "
            f"first push {k:,} creates {first:.1f} s ({k / first:,.0f} users/s); "
            f"1% change {k:,} replaces {second:.1f} s ({k / second:,.0f} users/s); "
            f"peak RSS {rss_mb():,.0f} MB"
        )
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
