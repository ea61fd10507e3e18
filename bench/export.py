"""SFTP export timings: a synthetic district's canonical roster delivered as OneRoster 1.1
CSV to an SFTP server on loopback (not a timed test).

    .venv/bin/python bench/export.py --students 100000 [--database URL] [--zip]

Prepares the roster store directly (the real JSON encoder, objects.build, on synthetic
objects shaped like the generator's district: 8 enrollments per student, a teacher per 20
students, a class per 25 students; written with the store's COPY path) instead of uploading
and propagating, which would take most of the time at 1M. Then, each in a fresh child
process so that its peak memory is its own:

    bulk   the whole roster as a bulk set (write the CSV columnar, upload, rename)
    delta  after a version that changed 1% of the students: the delta set

and prints wall time, CPU time, peak RSS and bytes. Upload is over loopback (an asyncssh
server in the same process), so the link is not the bound it is in production.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _frames(students: int) -> dict[str, Any]:
    import polars as pl

    from rosterport.domain.roster.objects import build

    schools = max(1, students // 1000)
    teachers = max(1, students // 20)
    classes = max(1, students // 25)
    s_ids = pl.int_range(0, schools, eager=True).cast(pl.String)
    orgs = build(
        "orgs",
        pl.concat(
            [
                pl.DataFrame(
                    {
                        "sourcedId": ["district-bench"],
                        "name": ["Bench USD"],
                        "type": ["district"],
                        "schools": [[]],
                    },
                    schema_overrides={"schools": pl.List(pl.String)},
                ),
                pl.DataFrame(
                    {"sourcedId": ("S" + s_ids), "type": ["school"] * schools}
                ).with_columns(
                    pl.concat_str(pl.lit("School "), pl.col("sourcedId")).alias("name"),
                    pl.lit("district-bench").alias("parent"),
                    pl.concat_list("sourcedId").alias("schools"),
                ),
            ],
            how="diagonal_relaxed",
        ),
    )
    sessions = build(
        "academicSessions",
        pl.DataFrame({"sourcedId": ("term-S" + s_ids)}).with_columns(
            pl.lit("Fall").alias("title"),
            pl.lit("2025-08-20").alias("startDate"),
            pl.lit("2025-12-19").alias("endDate"),
            pl.lit("term").alias("type"),
            pl.lit("2026").alias("schoolYear"),
            pl.col("sourcedId").str.slice(5).alias("school"),
            pl.concat_list(pl.col("sourcedId").str.slice(5)).alias("schools"),
        ),
    )
    courses = build(
        "courses",
        pl.DataFrame({"sourcedId": ("course-S" + s_ids)}).with_columns(
            pl.lit("Algebra I").alias("title"),
            pl.lit("MATH-1").alias("courseCode"),
            (pl.lit("S") + pl.col("sourcedId").str.slice(8)).alias("org"),
            pl.concat_list(pl.lit("S") + pl.col("sourcedId").str.slice(8)).alias("schools"),
        ),
    )
    cls = pl.select(pl.int_range(0, classes).alias("n")).with_columns(
        ("S" + (pl.col("n") % schools).cast(pl.String)).alias("school")
    )
    classes_frame = build(
        "classes",
        cls.select(
            ("class-" + pl.col("n").cast(pl.String)).alias("sourcedId"),
            pl.lit("Algebra I (Period 3)").alias("title"),
            pl.lit("1").alias("classCode"),
            pl.lit("scheduled").alias("classType"),
            pl.lit(["09"]).alias("grades"),
            pl.lit(["Math"]).alias("subjects"),
            pl.lit(["3"]).alias("periods"),
            ("course-" + pl.col("school")).alias("course"),
            pl.col("school"),
            pl.concat_list("term-" + pl.col("school")).alias("terms"),
            pl.concat_list("school").alias("schools"),
        ),
    )
    people = pl.select(pl.int_range(0, students + teachers).alias("n")).with_columns(
        ("S" + (pl.col("n") % schools).cast(pl.String)).alias("school"),
        (pl.col("n") < students).alias("student"),
    )
    users = build(
        "users",
        people.select(
            pl.when("student")
            .then(pl.lit("student-"))
            .otherwise(pl.lit("teacher-"))
            .add(pl.col("n").cast(pl.String))
            .alias("sourcedId"),
            ("user" + pl.col("n").cast(pl.String)).alias("username"),
            pl.lit("true").alias("enabledUser"),
            ("Given" + (pl.col("n") % 977).cast(pl.String)).alias("givenName"),
            ("Family" + (pl.col("n") % 1999).cast(pl.String)).alias("familyName"),
            pl.when("student").then(pl.lit("student")).otherwise(pl.lit("teacher")).alias("role"),
            ("N-" + pl.col("n").cast(pl.String)).alias("identifier"),
            ("user" + pl.col("n").cast(pl.String) + "@bench.example").alias("email"),
            pl.concat_list("school").alias("orgs"),
            pl.when("student").then(pl.lit(["09"])).alias("grades"),
            pl.when("student")
            .then(
                pl.concat_list(
                    pl.struct(
                        pl.lit("state").alias("type"),
                        ("ST" + pl.col("n").cast(pl.String)).alias("identifier"),
                    )
                )
            )
            .alias("userIds"),
            pl.concat_list("school").alias("schools"),
        ),
    )
    demographics = build(
        "demographics",
        people.filter("student").select(
            ("student-" + pl.col("n").cast(pl.String)).alias("sourcedId"),
            pl.lit("2010-04-05").alias("birthDate"),
            pl.when(pl.col("n") % 2 == 0)
            .then(pl.lit("female"))
            .otherwise(pl.lit("male"))
            .alias("sex"),
            pl.lit("false").alias("hispanicOrLatinoEthnicity"),
            pl.concat_list("school").alias("schools"),
        ),
    )
    per = 8
    enrollment = (
        pl.select(pl.int_range(0, students * per).alias("e"))
        .with_columns(
            (pl.col("e") // per).alias("student"),
            ((pl.col("e") // per // 25 * per + pl.col("e") % per) % classes).alias("class"),
        )
        .with_columns(("S" + (pl.col("class") % schools).cast(pl.String)).alias("school"))
    )
    enrollments = build(
        "enrollments",
        enrollment.select(
            ("enr-" + pl.col("e").cast(pl.String)).alias("sourcedId"),
            ("student-" + pl.col("student").cast(pl.String)).alias("user"),
            ("class-" + pl.col("class").cast(pl.String)).alias("class"),
            pl.col("school"),
            pl.lit("student").alias("role"),
            pl.lit("false").alias("primary"),
            pl.concat_list("school").alias("schools"),
        ),
    )
    return {
        "orgs": orgs, "academicSessions": sessions, "courses": courses,
        "classes": classes_frame, "users": users, "demographics": demographics,
        "enrollments": enrollments,
    }  # fmt: skip


def prepare(data: Path, database: str | None, students: int) -> dict[str, Any]:
    """A data dir whose roster store holds the synthetic district as version 1."""
    import polars as pl
    import sqlalchemy as sa

    from rosterport.bootstrap import build_hub
    from rosterport.config import Settings
    from rosterport.services.organizations import create_org
    from rosterport.store.roster import loading
    from rosterport.store.roster.rows import Place
    from rosterport.store.tables import datasets, read_models, versions

    hub = build_hub(Settings(data_dir=data, database_url=database, sftp_port=0))
    org = create_org(hub, f"bench{os.getpid()}", "Bench USD")
    with hub.engine.begin() as conn:
        dataset_id = conn.execute(
            sa.insert(datasets)
            .values(org_id=org.id, model="passport-roster")
            .returning(datasets.c.id)
        ).scalar_one()
        version_id = conn.execute(
            sa.insert(versions).values(
                dataset_id=dataset_id, org_id=org.id, model="passport-roster", created_at=T0,
                committed_by="bench", source="cli", mode="full",
                status="Successfully in production",
            ).returning(versions.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(
            sa.insert(read_models).values(
                dataset_id=dataset_id, version_id=version_id, generation=0, updated_at=T0
            )
        )
    start = time.perf_counter()
    frames = _frames(students)
    place = Place(org.id, dataset_id, 0)
    counts = {}
    for collection, frame in frames.items():
        counts[collection] = frame.height
        for at in range(0, frame.height, 500_000):
            part = frame.slice(at, 500_000).with_columns(
                pl.lit("active").alias("status"),
                pl.lit(T0).alias("modified"),
                pl.lit(version_id).alias("version_id"),
            )
            with hub.engine.begin() as conn:
                loading.write_objects(conn, place, collection, part)
    with hub.engine.begin() as conn:
        loading.analyze(conn)
    return {
        "org": org.slug, "dataset_id": dataset_id, "version_id": version_id,
        "objects": counts, "prepare_seconds": round(time.perf_counter() - start, 1),
    }  # fmt: skip


def change_one_percent(data: Path, database: str | None, info: dict[str, Any]) -> int:
    """Version 2: 1% of the students renamed (their objects changed by it)."""
    import sqlalchemy as sa

    from rosterport.bootstrap import build_hub
    from rosterport.config import Settings
    from rosterport.store.tables import read_models, roster_objects, versions

    hub = build_hub(Settings(data_dir=data, database_url=database, sftp_port=0), migrate=False)
    when = T0 + timedelta(days=1)
    o = roster_objects.c
    with hub.engine.begin() as conn:
        org_id = conn.execute(
            sa.select(versions.c.org_id).where(versions.c.id == info["version_id"])
        ).scalar_one()
        version_id = conn.execute(
            sa.insert(versions).values(
                dataset_id=info["dataset_id"], org_id=org_id, model="passport-roster",
                created_at=when, committed_by="bench", source="cli", mode="full",
                status="Successfully in production",
            ).returning(versions.c.id)
        ).scalar_one()  # fmt: skip
        every = max(1, 100)
        conn.execute(
            sa.update(roster_objects)
            .where(
                o.dataset_id == info["dataset_id"], o.collection == "users", o.role == "student",
                sa.func.length(o.sourced_id) > 0,
                sa.cast(sa.func.substr(o.sourced_id, 9), sa.Integer) % every == 0,
            )
            .values(
                data=sa.func.replace(o.data, '"familyName":"Family', '"familyName":"Renamed'),
                date_last_modified=when, version_id=version_id,
            )
        )  # fmt: skip
        conn.execute(
            sa.update(read_models)
            .where(read_models.c.dataset_id == info["dataset_id"])
            .values(version_id=version_id)
        )
    return int(version_id)


def step(
    data: Path, database: str | None, org: str, port: int, *, zipped: bool, delta: bool
) -> dict[str, Any]:
    """One delivery, timed, in this (fresh) process."""
    import asyncssh

    from rosterport.bootstrap import build_hub
    from rosterport.config import Settings
    from rosterport.remote import Credentials
    from rosterport.services import sftp_export as sx
    from rosterport.services import sftp_export_targets as targets
    from rosterport.services.organizations import get_org
    from rosterport.store.jobs import Job
    from tests.sftp.conftest import Loop

    root = data / "vendor"
    root.mkdir(exist_ok=True)
    loop = Loop()
    host_key = asyncssh.generate_private_key("ssh-ed25519")

    class Auth(asyncssh.SSHServer):
        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            return (username, password) == ("bench", "bench-pass")

    acceptor = loop.run(
        asyncssh.listen(
            "127.0.0.1", port, server_host_keys=[host_key], server_factory=Auth,
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=os.fsencode(root)),
        )
    )  # fmt: skip
    hub = build_hub(Settings(data_dir=data, database_url=database, sftp_port=0), migrate=False)
    the_org = get_org(hub, org)
    exports = targets.list_exports(hub, the_org)
    if exports:
        export = exports[0]
    else:
        export = targets.add_export(
            hub, the_org, host="127.0.0.1", port=port, username="bench",
            credentials=Credentials(password="bench-pass"),
            settings=targets.ExportSettings(path="in", delta=True, zipped=zipped),
        )  # fmt: skip
    if exports:  # the server's key is new in this process: pin none, trust on first use
        with hub.engine.begin() as conn:
            from rosterport.store import sftp_exports as store

            store.update_export(conn, export.id, host_key=None, port=port)
    cpu = time.process_time()
    start = time.perf_counter()
    sx.deliver(hub, Job(0, sx.EXPORT, {"export_id": export.id, "version_id": None}, 1, 8))
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    run = targets.runs(hub, export, limit=1)[0]
    with hub.engine.connect() as conn:
        from rosterport.store import sftp_exports as store

        run_detail = dict(store.runs(conn, export.id, limit=1)[0].detail)
    acceptor.close()
    loop.close()
    return {
        "step": "delta" if delta else "bulk", "kind": run["kind"], "state": run["state"],
        "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
        "bytes": run["bytes"], "files": {f["name"]: f["size"] for f in run["files"]},
        "write_seconds": run_detail.get("write_seconds"),
        "upload_seconds": run_detail.get("upload_seconds"),
        "peak_rss_mb": _peak_mb(),
    }  # fmt: skip


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--zip", action="store_true")
    parser.add_argument("--step", choices=["bulk", "delta"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--org", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        result = step(
            args.data,
            args.database,
            args.org,
            args.port,
            zipped=args.zip,
            delta=args.step == "delta",
        )
        print(json.dumps(result))
        return 0
    from tests.sftp.conftest import free_port

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        info = prepare(data, args.database, args.students)
        print(json.dumps({"students": args.students, **info}), flush=True)

        def child(kind: str) -> None:
            command = [
                sys.executable, __file__, "--step", kind, "--data", str(data), "--org", info["org"],
                "--port", str(free_port()),
                *(["--database", args.database] if args.database else []),
                *(["--zip"] if args.zip else []),
            ]  # fmt: skip
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            print(done.stdout.strip(), flush=True)

        child("bulk")
        change_one_percent(data, args.database, info)
        child("delta")
    return 0


if __name__ == "__main__":
    sys.exit(main())
