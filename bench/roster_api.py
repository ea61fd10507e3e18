"""Roster store and OneRoster API timings on a synthetic district (not a timed test).

    .venv/bin/python bench/roster_api.py --students 100000 [--database URL] [--reads 200]

Generates (or reuses) `bench/data/<N>/`, commits it as passport-roster, then measures the
first-load propagation (records read model + roster store, one job), a small change, and
page reads of the OneRoster API (`/users?limit=100&offset=…`, `/schools/{id}/enrollments`)
in-process: median and p99. Until the domain mapping (`rosterport.domain.roster`) is merged
it uses the tests' stand-in mapping (tests/roster/fake.py), which has the same output shape.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:  # noqa: PLR0915 - one linear scenario, read top to bottom
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from rosterport.bootstrap import build_hub, build_worker
    from rosterport.config import Settings
    from rosterport.csvio.sources import SourceFile
    from rosterport.services import (
        api_apps,
        roster_store,
        upload_commit,
        upload_validation,
        uploads,
    )
    from rosterport.services.organizations import create_org, update_settings
    from rosterport.web.app import create_app
    from tests.roster import fake

    district = REPO / "bench" / "data" / f"roster-{args.students}"
    if not (district / "students.csv").exists():
        subprocess.run(
            [sys.executable, str(REPO / "bench" / "generate.py"), str(district), "--students",
             str(args.students)],
            check=True,
        )  # fmt: skip
    files = {p.name: p.read_bytes() for p in sorted(district.glob("*.csv"))}
    files.pop("admins.csv", None)  # the stand-in mapping leaves administrators out
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=args.database, sftp_port=0)
        hub = build_hub(settings)
        mapping = roster_store.domain_mapping() or fake.to_roster
        hub = dataclasses.replace(hub, roster_mapping=mapping)
        org = create_org(hub, f"bench-{random.randrange(10**6)}", "Bench USD")
        org = update_settings(hub, org, dataclasses.replace(org.settings, default_threshold=1.0))

        def publish(data: dict[str, bytes]) -> float:
            session = uploads.start(hub, org, "passport-roster")
            uploads.add_files(hub, org, session.id, [SourceFile.of(n, d) for n, d in data.items()])
            upload_validation.run_validation(
                hub, org, session.id, committed_by="bench", source="api"
            )
            upload_commit.commit(hub, org, session.id, committed_by="bench", source="api")
            start = time.perf_counter()
            build_worker(hub, name="bench").drain()
            return time.perf_counter() - start

        first = publish(files)
        changed = dict(files)
        lines = changed["students.csv"].splitlines(keepends=True)
        changed["students.csv"] = b"".join(lines[:-100])  # 100 students leave
        second = publish(changed)
        made, secret = api_apps.create(hub, org, "bench", scopes=["roster.readonly"])
        app = create_app(hub, settings, worker=False)
        with TestClient(app, base_url="http://bench") as client:
            token = client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(made.client_id, secret),
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            base = "/ims/oneroster/v1p1"
            total = int(
                client.get(base + "/users?limit=1", headers=headers).headers["X-Total-Count"]
            )
            schools = [
                o["sourcedId"]
                for o in client.get(base + "/schools?limit=1000", headers=headers).json()["orgs"]
            ]
            timings: dict[str, list[float]] = {"users": [], "school enrollments": []}
            for _ in range(args.reads):
                offset = random.randrange(0, max(1, total - 100))
                start = time.perf_counter()
                answer = client.get(f"{base}/users?limit=100&offset={offset}", headers=headers)
                timings["users"].append(time.perf_counter() - start)
                assert answer.status_code == 200
                school = random.choice(schools)
                start = time.perf_counter()
                answer = client.get(
                    f"{base}/schools/{school}/enrollments?limit=200&offset=200", headers=headers
                )
                timings["school enrollments"].append(time.perf_counter() - start)
                assert answer.status_code == 200
        db = hub.engine.dialect.name
        print(f"{db}: {args.students:,} students, mapping "
              f"{'domain' if roster_store.domain_mapping() else 'stand-in'}")  # fmt: skip
        print(f"  first load propagation (records + roster): {first:.1f} s")
        print(f"  small change (100 students removed) propagation: {second:.1f} s")
        for name, values in timings.items():
            values.sort()
            p99 = values[int(len(values) * 0.99) - 1]
            print(
                f"  page {name}: median {statistics.median(values) * 1000:.1f} ms, "
                f"p99 {p99 * 1000:.1f} ms"
            )
        hub.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
