"""SFTP export against a real SFTP server on loopback (asyncssh, files on the test's disk),
on both databases: bulk then delta across three versions, password and key, zipped, a
connection cut mid-upload (retried, the reader never sees a partial set), a changed host
key, the after-version hook and the time-of-day chore."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncssh
import polars as pl
import pytest
import sqlalchemy as sa

from rosterport.bootstrap import build_worker
from rosterport.domain.policy import Policy
from rosterport.domain.roster import COLLECTIONS, District, to_roster
from rosterport.errors import InputError
from rosterport.remote import Credentials
from rosterport.services import sftp_export as sx
from rosterport.services import sftp_export_targets as targets
from rosterport.services.file_validation import validate_paths
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org, update_settings
from rosterport.store import jobs as queue
from rosterport.store.tables import read_models, roster_objects
from tests.conftest import Clock, district
from tests.services.test_propagation import commit, renamed
from tests.sftp.conftest import Loop, LoopbackAuth, free_port

USER, PASSWORD = "vendor", "vendor-pass-1"
STUDENT = b"738733110"


class Vendor:
    """The application's SFTP server: files under `root`; `cut_after` bytes written, the
    next upload's connection is closed mid-file (once)."""

    def __init__(self, root: Path, loop: Loop, port: int | None = None) -> None:
        self.root = root
        self.loop = loop
        self.port = port or free_port()
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
        public = asyncssh.import_private_key(self.client_key).export_public_key().decode()
        self.cut_after: int | None = None
        self.cuts = 0
        vendor = self

        class Files(asyncssh.SFTPServer):
            written = 0

            def write(self, file_obj: object, offset: int, data: bytes) -> int:
                Files.written += len(data)
                if vendor.cut_after is not None and Files.written > vendor.cut_after:
                    vendor.cut_after = None
                    vendor.cuts += 1
                    self.channel.get_connection().abort()  # the line drops mid-file
                    raise asyncssh.SFTPConnectionLost("cut")
                result = super().write(file_obj, offset, data)
                assert isinstance(result, int)
                return result

        self.acceptor = loop.run(
            asyncssh.listen(
                "127.0.0.1",
                self.port,
                server_host_keys=[self.host_key],
                server_factory=lambda: LoopbackAuth(public, USER, PASSWORD),
                sftp_factory=lambda chan: Files(chan, chroot=os.fsencode(root)),
            )
        )

    def close(self) -> None:
        async def close() -> None:
            self.acceptor.close()
            await self.acceptor.wait_closed()

        self.loop.run(close())

    def files(self, folder: str = "outbound") -> dict[str, bytes]:
        where = self.root / folder
        return {p.name: p.read_bytes() for p in sorted(where.iterdir())} if where.exists() else {}


@pytest.fixture
def loop() -> Iterator[Loop]:
    running = Loop()
    yield running
    running.close()


@pytest.fixture
def vendor(tmp_path: Path, loop: Loop) -> Iterator[Vendor]:
    root = tmp_path / "vendor"
    root.mkdir()
    server = Vendor(root, loop)
    yield server
    server.close()


@pytest.fixture
def org(hub: Hub) -> Organization:
    made = create_org(hub, "springfield", "Springfield USD")
    return update_settings(hub, made, dataclasses.replace(made.settings, default_threshold=1.0))


def add(
    hub: Hub, org: Organization, vendor: Vendor, *, key: bool = False, **settings: Any
) -> targets.Export:
    credentials = (
        Credentials(private_key=vendor.client_key) if key else Credentials(password=PASSWORD)
    )
    return targets.add_export(
        hub,
        org,
        host="127.0.0.1",
        port=vendor.port,
        username=USER,
        credentials=credentials,
        settings=targets.ExportSettings.from_json({"path": "outbound", **settings}),
    )


def drain(hub: Hub) -> None:
    build_worker(hub, name="test-worker").drain()


def served(hub: Hub) -> dict[str, dict[str, dict[str, Any]]]:
    """What the REST API serves: collection → sourcedId → the object, active ones."""
    o = roster_objects.c
    with hub.engine.connect() as conn:
        generation = conn.execute(sa.select(read_models.c.generation)).scalar_one()
        rows = conn.execute(
            sa.select(o.collection, o.sourced_id, o.data).where(
                o.generation == generation, o.status == "active"
            )
        ).all()
    out: dict[str, dict[str, dict[str, Any]]] = {c: {} for c in COLLECTIONS}
    for collection, sourced_id, data in rows:
        out[collection][sourced_id] = json.loads(data)
    return out


def received(folder: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """What the vendor received, validated as oneroster-1.1 and mapped back to objects."""
    result = validate_paths([folder], "oneroster-1.1", Policy(today=date(2026, 11, 28)))
    assert result.validation.report.summary()["error"] == 0
    back = to_roster("oneroster-1.1", result.validation.records, District("x", "x"))
    return {
        c: {s: json.loads(j) for s, j in back[c].select("sourcedId", "json").iter_rows()}
        for c in COLLECTIONS
    }


def as_csv(data: bytes) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(data), infer_schema=False)


def manifest(files: dict[str, bytes]) -> dict[str, str]:
    return dict(as_csv(files["manifest.csv"]).iter_rows())


def comparable(objects: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Objects as OneRoster 1.1 CSV can carry them (see domain/roster/csv_export.py)."""
    no_term = {s for s, o in objects["classes"].items() if not o.get("terms")}
    out: dict[str, Any] = {}
    for collection, found in objects.items():
        kept = {}
        for s, o in found.items():
            if collection == "classes" and s in no_term:
                continue
            if collection == "enrollments" and o["class"]["sourcedId"] in no_term:
                continue
            shown = {k: v for k, v in o.items() if k != "metadata"}
            if shown.get("sex") not in (None, "male", "female"):
                shown.pop("sex")
            kept[s] = shown
        out[collection] = kept
    return out


def without_student(files: dict[str, bytes], student: bytes) -> dict[str, bytes]:
    out = dict(files)
    for name in ("students.csv", "enrollments.csv"):
        lines = out[name].splitlines(keepends=True)
        out[name] = b"".join(line for line in lines if student not in line)
    return out


def test_bulk_then_delta_across_three_versions(
    hub: Hub, org: Organization, vendor: Vendor, clock: Clock
) -> None:
    export = add(hub, org, vendor, delta=True)
    first = commit(hub, org, district())
    drain(hub)
    files = vendor.files()
    assert manifest(files)["file.users"] == "bulk"
    assert not [n for n in files if n.endswith(".part")]
    assert comparable(received(vendor.root / "outbound")) == comparable(served(hub))
    (run,) = targets.runs(hub, export)
    assert run["kind"] == "bulk"
    assert run["state"] == "done"
    for entry in run["files"]:  # the ledger's checksums are those of the files received
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
        assert entry["size"] == len(files[entry["name"]])
    assert run["bytes"] == sum(len(b) for b in files.values())
    ledger = sx.ledger(hub, export, first)
    assert ledger is not None
    assert ledger["state"] == "done"
    pinned = targets.export_by_id(hub, export.id)
    assert pinned.host_key is not None  # trusted on first use
    assert pinned.last_version_id == first

    clock.now += timedelta(hours=1)
    second = commit(hub, org, renamed(b"Renamed"))
    drain(hub)
    files = vendor.files()
    props = manifest(files)
    assert props["file.users"] == "delta"
    assert props["file.orgs"] == "absent"
    assert "orgs.csv" not in files  # absent: not left over from the bulk set either
    users = as_csv(files["users.csv"])
    assert set(users.get_column("status")) == {"active"}
    assert users.filter(pl.col("familyName") == "Renamed").height == users.height >= 1
    assert set(users.get_column("dateLastModified")) == {
        clock.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    }
    assert targets.runs(hub, export)[0]["kind"] == "delta"
    assert targets.export_by_id(hub, export.id).last_version_id == second

    clock.now += timedelta(hours=1)
    third = commit(hub, org, without_student(renamed(b"Renamed"), STUDENT))
    drain(hub)
    files = vendor.files()
    users = as_csv(files["users.csv"])
    gone = users.filter(pl.col("sourcedId").str.contains(STUDENT.decode()))
    assert gone.get_column("status").to_list() == ["tobedeleted"]
    enrollments = as_csv(files["enrollments.csv"])
    assert set(enrollments.get_column("status")) == {"tobedeleted"}
    assert (sx.ledger(hub, export, third) or {}).get("state") == "done"
    assert [r["kind"] for r in targets.runs(hub, export)] == ["delta", "delta", "bulk"]


def test_key_auth_and_a_zip_replaced_whole(
    hub: Hub, org: Organization, vendor: Vendor, tmp_path: Path
) -> None:
    export = add(hub, org, vendor, key=True, zipped=True, files="users-orgs")
    commit(hub, org, district())
    drain(hub)
    files = vendor.files()
    assert list(files) == ["oneroster.zip"]
    with zipfile.ZipFile(io.BytesIO(files["oneroster.zip"])) as archive:
        assert sorted(archive.namelist()) == ["manifest.csv", "orgs.csv", "users.csv"]
        archive.extractall(tmp_path / "unzipped")
    props = manifest({"manifest.csv": (tmp_path / "unzipped" / "manifest.csv").read_bytes()})
    assert props["file.enrollments"] == "absent"
    got = received(tmp_path / "unzipped")
    want = comparable(served(hub))
    assert comparable(got)["users"] == want["users"]
    (run,) = targets.runs(hub, export)
    assert run["files"][0]["sha256"] == hashlib.sha256(files["oneroster.zip"]).hexdigest()


def test_a_connection_cut_mid_upload_is_retried_and_no_partial_set_is_current(
    hub: Hub, org: Organization, vendor: Vendor, clock: Clock
) -> None:
    export = add(hub, org, vendor)  # bulk every time
    commit(hub, org, district())
    drain(hub)
    before = vendor.files()
    vendor.cut_after = 2_000  # the next upload loses its connection after 2 kB
    clock.now += timedelta(hours=1)
    second = commit(hub, org, renamed(b"Renamed"))
    drain(hub)
    assert vendor.cuts == 1
    ledger = sx.ledger(hub, export, second)
    assert ledger is not None
    assert ledger["state"] == "retrying"
    assert "lost" in ledger["last_error"]
    now = {n: b for n, b in vendor.files().items() if not n.endswith(".part")}
    assert now == before  # the reader still sees the whole first set
    clock.now += timedelta(seconds=3)  # past the back-off
    drain(hub)
    ledger = sx.ledger(hub, export, second)
    assert ledger is not None
    assert (ledger["state"], ledger["attempts"]) == ("done", 2)
    after = vendor.files()
    assert not [n for n in after if n.endswith(".part")]
    assert b"Renamed" in after["users.csv"]
    assert [r["state"] for r in targets.runs(hub, export)] == ["done", "retrying", "done"]


def test_a_changed_host_key_is_refused_with_a_clear_message(
    hub: Hub, org: Organization, vendor: Vendor, loop: Loop, clock: Clock
) -> None:
    export = add(hub, org, vendor)
    commit(hub, org, district())
    drain(hub)
    before = vendor.files()
    vendor.close()
    impostor = Vendor(vendor.root, loop, port=vendor.port)  # same address, another key
    try:
        clock.now += timedelta(hours=1)
        second = commit(hub, org, renamed(b"Renamed"))
        drain(hub)
        ledger = sx.ledger(hub, export, second)
        assert ledger is not None
        assert ledger["state"] == "retrying"
        assert "host key changed" in ledger["last_error"]
        assert "Traceback" not in ledger["last_error"]
        assert impostor.files() == before  # nothing was sent
    finally:
        impostor.close()
        vendor.acceptor = impostor.acceptor  # closed once, by the fixture's close


def test_only_after_version_exports_follow_each_version_and_the_chore_runs_timed_ones(
    hub: Hub, org: Organization, vendor: Vendor, clock: Clock
) -> None:
    timed = add(hub, org, vendor, schedule="06:00", time_zone="America/Chicago", path="timed")
    commit(hub, org, district())
    drain(hub)
    assert targets.runs(hub, timed) == []  # not after each version
    # the tests' clock starts at 09:00 UTC = 03:00 in Chicago: not yet
    assert sx.scheduled(hub) == []
    clock.now += timedelta(hours=3, minutes=1)  # 06:01 in Chicago
    assert sx.scheduled(hub) == [timed.id]
    assert sx.scheduled(hub) == []  # once a day
    drain(hub)
    assert "manifest.csv" in vendor.files("timed")
    clock.now += timedelta(days=1)
    assert sx.scheduled(hub) == [timed.id]


def test_settings_are_checked() -> None:
    with pytest.raises(InputError, match="HH:MM"):
        targets.ExportSettings(schedule="25:00").checked()
    with pytest.raises(InputError, match="time zone"):
        targets.ExportSettings(schedule="02:00", time_zone="Mars/Olympus").checked()
    with pytest.raises(InputError, match="users-orgs"):
        targets.ExportSettings(files="some").checked()


def test_jobs_are_queued_with_back_off_attempts(
    hub: Hub, org: Organization, vendor: Vendor
) -> None:
    export = add(hub, org, vendor)
    job_id = sx.run_now(hub, export)
    (job,) = [j for j in queue.list_jobs(hub.engine) if j["id"] == job_id]
    assert job["kind"] == sx.EXPORT
    assert job["max_attempts"] == sx.MAX_ATTEMPTS
