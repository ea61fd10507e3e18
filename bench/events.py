"""How long a version's change events take: derived from the roster's two states and
written with the roster store's change (not a timed test).

    .venv/bin/python bench/events.py [--students 1000000] [--enrollments-per-student 8]
                                     [--changed 0.01] [--database URL]

Builds the OneRoster users and enrollments of a district as the roster store compares them
(sourcedId + JSON text; users: students and teachers N·1.06, enrollments N·k), changes a
share of them (`--changed`: that share of users renamed; that share of enrollments removed
and as many added), then measures the events step of a propagation: the columnar diff of
every collection (`roster_store._compare`, which propagation runs anyway), then what the
events add: `domain.events.of_change` and `services.events.publish` — COPY on PostgreSQL,
executemany on SQLite — in one transaction, as `roster_store.apply` runs it. Prints the
figures and records them in bench/results.json under "events".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--enrollments-per-student", type=int, default=8)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--database", default=None)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    import polars as pl

    from rosterport.bootstrap import build_hub
    from rosterport.config import Settings
    from rosterport.domain import events as domain
    from rosterport.services import events
    from rosterport.services.roster_store import _compare  # the store's own comparison

    def fmt(template: str) -> pl.Expr:
        """`template` with each `{}` replaced by the row number (JSON braces kept)."""
        parts = template.split("{}")
        exprs: list[pl.Expr] = [pl.lit(parts[0])]
        for part in parts[1:]:
            exprs += [pl.col("i").cast(pl.String), pl.lit(part)]
        return pl.concat_str(exprs)

    n_users = int(args.students * 1.06)
    n_enrollments = args.students * args.enrollments_per_student
    ids = pl.int_range(0, n_users, eager=True)
    users = pl.DataFrame({"i": ids}).select(
        fmt("user-{}").alias("sourcedId"),
        fmt(
            '{"sourcedId":"user-{}","username":"u{}","givenName":"Given{}","familyName":"F{}",'
            '"role":"student","orgs":[{"href":"/orgs/s{}","sourcedId":"s{}","type":"org"}]}'
        ).alias("json"),
    )
    changed_users = int(n_users * args.changed)
    users_after = users.with_columns(
        pl.when(pl.int_range(0, pl.len()) < changed_users)
        .then(pl.col("json").str.replace('"familyName":"F', '"familyName":"Renamed', literal=True))
        .otherwise(pl.col("json"))
        .alias("json")
    )
    enrollment = (
        '{"sourcedId":"enr-{}","role":"student","primary":false,'
        '"user":{"href":"/users/user-{}","sourcedId":"user-{}","type":"user"},'
        '"class":{"href":"/classes/c{}","sourcedId":"c{}","type":"class"}}'
    )
    changed_enrollments = int(n_enrollments * args.changed)

    def enrollments(start: int, stop: int) -> pl.DataFrame:
        i = pl.DataFrame({"i": pl.int_range(start, stop, eager=True)})
        return i.select(
            fmt("enr-{}").alias("sourcedId"),
            fmt(enrollment).alias("json"),
        )

    before = {"users": users, "enrollments": enrollments(0, n_enrollments)}
    after = {
        "users": users_after,
        "enrollments": enrollments(changed_enrollments, n_enrollments + changed_enrollments),
    }
    with tempfile.TemporaryDirectory() as tmp:
        hub = build_hub(Settings(data_dir=Path(tmp), database_url=args.database, sftp_port=0))
        started = time.perf_counter()
        found_changes = {c: _compare(before[c], after[c]) for c in sorted(before)}
        compared = time.perf_counter() - started  # the roster store's own diff, done anyway
        started = time.perf_counter()
        found = pl.concat(
            [domain.of_change(c, before[c], *found_changes[c]) for c in sorted(before)]
        )
        derived = time.perf_counter() - started
        with hub.engine.begin() as conn:
            events.publish(
                hub,
                conn,
                org_id=1,
                org_slug="bench",
                version_id=1,
                occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
                events=found,
            )
        total = time.perf_counter() - started
        database = hub.engine.dialect.name
    figures = {
        "database": database,
        "students": args.students,
        "objects": n_users + n_enrollments,
        "events": found.height,
        "store_compare_seconds": round(compared, 2),
        "events_derive_seconds": round(derived, 2),
        "events_derive_and_write_seconds": round(total, 2),
    }
    print(json.dumps(figures, indent=2))
    if not args.no_record:
        results = REPO / "bench" / "results.json"
        recorded = json.loads(results.read_text()) if results.exists() else {}
        recorded.setdefault("events", {})[database] = figures
        results.write_text(json.dumps(recorded, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
