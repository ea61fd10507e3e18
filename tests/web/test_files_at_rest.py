"""Files at rest (issue 10): the data dir is its owner's only (0700, files 0600) after a real
upload through the API, and what an upload leaves when the server is killed in the middle
of it is removed when a server starts again."""

from __future__ import annotations

import os
import signal
import stat
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.web.api.uploads import STALE_INCOMING
from tests.conftest import DATA
from tests.web.conftest import Site, prepare_data, served

VALID = DATA / "passport" / "valid-district"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _not_private(data_dir: Path) -> list[tuple[str, str]]:
    """Entries under `data_dir` (itself included) that others may read or enter."""
    loose = []
    for path in [data_dir, *data_dir.rglob("*")]:
        wanted = 0o700 if path.is_dir() else 0o600
        if _mode(path) != wanted:
            loose.append((str(path.relative_to(data_dir.parent)), oct(_mode(path))))
    return loose


def test_the_data_dir_and_everything_in_it_are_private_after_an_upload(site: Site) -> None:
    data = site.settings.data_dir
    headers = site.token()
    base = "/api/v1/orgs/springfield/uploads"
    session = site.client.post(base, json={"model": "passport-roster"}, headers=headers).json()
    for path in sorted(VALID.glob("*.csv")):
        site.client.put(
            f"{base}/{session['id']}/files/{path.name}", content=path.read_bytes(), headers=headers
        )
    assert site.client.post(f"{base}/{session['id']}/validate", headers=headers).is_success
    assert site.client.post(f"{base}/{session['id']}/commit", headers=headers).is_success
    names = {p.name for p in data.rglob("*")}
    assert {"rosterport.db", "rosterport.db-wal", "secret.key", "blobs"} <= names
    assert any(p.suffix == ".parquet" for p in data.rglob("*"))  # a snapshot was stored
    assert _not_private(data) == []
    assert list((data / "incoming").iterdir()) == []  # nothing spooled is left


def test_a_data_dir_made_before_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "rosterport.db").touch()
    os.chmod(data / "rosterport.db", 0o644)
    hub = build_hub(Settings(data_dir=data, sftp_port=0))
    hub.engine.dispose()
    assert _mode(data) == 0o700
    assert _mode(data / "rosterport.db") == 0o600
    assert _mode(data / "secret.key") == 0o600
    assert _mode(data / "blobs") == 0o700


def _parts(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "incoming").rglob("*.part"))


def test_a_part_file_left_by_a_server_killed_mid_upload_is_swept_at_start(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    headers = prepare_data(data)
    sent = threading.Event()
    hold = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b"student_id,school_id\n" * 10_000
        sent.set()
        hold.wait(timeout=60)  # the server dies while it waits for the rest
        yield b"never sent\n"

    with served(data) as server:
        session = httpx.post(
            f"{server.url}/api/v1/orgs/springfield/uploads",
            json={"model": "passport-roster"},
            headers=headers,
        ).json()["id"]
        errors: list[Exception] = []

        def upload() -> None:
            try:
                httpx.put(
                    f"{server.url}/api/v1/orgs/springfield/uploads/{session}/files/students.csv",
                    content=slow_body(),
                    headers=headers,
                    timeout=120,
                )
            except httpx.TransportError as error:
                errors.append(error)

        uploading = threading.Thread(target=upload)
        uploading.start()
        assert sent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while not _parts(data) and time.monotonic() < deadline:
            time.sleep(0.05)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
        hold.set()
        uploading.join(timeout=60)
    assert errors  # the client saw the server go
    [left] = _parts(data)  # what the killed server left behind
    assert _mode(left) == 0o600
    assert _mode(left.parent) == 0o700
    # a stale one is swept at start; a fresh one may be another server's upload and stays
    old = time.time() - (STALE_INCOMING + timedelta(minutes=5)).total_seconds()
    for path in (left, left.parent):
        os.utime(path, (old, old))
    fresh = data / "incoming" / "another-server-upload.part"
    fresh.write_bytes(b"in progress")
    with served(data):
        pass
    assert not left.parent.exists()
    assert _parts(data) == [fresh]
