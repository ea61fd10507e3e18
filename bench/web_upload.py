"""The upload tool's API against a running `rosterport serve`:

1. streamed uploads: PUT a large file and measure the server's peak memory (VmHWM) before
   and after, to show the file never sits whole in memory;
2. with `--students N`: a synthetic district of N students (bench/generate.py) through
   every step — upload, validate, Verify Changes, the first and the last page of the
   students' change detail, commit — timed as a client sees them.

    python bench/web_upload.py --mb 500 --students 100000
    python bench/web_upload.py --mb 0 --garbage 250000

3. with `--garbage N`: a students.csv of N rows of garbage (every row breaks something: a
   field too many or too few, a refused date, grade, gender, a duplicate id) uploaded and
   validated through the API, then the version's errors report downloaded: the server's
   peak memory after each step, and whether the report came as a stream.

Starts the server in a subprocess on a free port with a fresh data dir, signs in through an
API token made with the services, streams a generated CSV of the given size from a generator
(so the client holds no copy either), then reads /proc/<pid>/status.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROW = b"02M800,%09d,Lastname,Firstname,Middle,01/02/2010,F,Hispanic or Latino,5,N\n"
HEADER = b"School_id,Student_id,Last_name,First_name,Middle_name,DOB,Gender,Race,Grade,ELL\n"


def rows(total: int) -> Iterator[bytes]:
    yield HEADER
    sent, n, chunk = len(HEADER), 0, []
    while sent < total:
        line = ROW % n
        chunk.append(line)
        sent += len(line)
        n += 1
        if len(chunk) == 10000:
            yield b"".join(chunk)
            chunk = []
    if chunk:
        yield b"".join(chunk)


def peak_kb(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    values = {
        line.split(":")[0]: int(line.split()[1])
        for line in status.splitlines()
        if line.startswith(("VmHWM", "VmRSS"))
    }
    return values["VmHWM"], values["VmRSS"]


def district(base: str, headers: dict[str, str], students: int, folder: Path) -> None:
    """Every step of the upload tool for a generated district, timed."""
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("generate.py")),
            str(folder),
            "--students",
            str(students),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    client = httpx.Client(headers=headers, timeout=600)

    def timed(label: str, method: str, url: str, **kwargs: object) -> httpx.Response:
        started = time.perf_counter()
        answer = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        answer.raise_for_status()
        print(f"  {label}: {time.perf_counter() - started:.2f} s")
        return answer

    print(f"district of {students:,} students:")
    session = timed("start", "POST", base + "/uploads", json={"model": "passport-roster"})
    one = f"{base}/uploads/{session.json()['id']}"
    started = time.perf_counter()
    for path in sorted(folder.glob("*.csv")):
        with path.open("rb") as handle:
            client.put(f"{one}/files/{path.name}", content=handle).raise_for_status()
    print(f"  upload every file: {time.perf_counter() - started:.2f} s")
    timed("validate", "POST", one + "/validate")
    counts = timed("Verify Changes", "POST", one + "/changes").json()["changes"]
    total = counts["students.csv"]["added"]
    timed("first page of students.csv", "GET", one + "/changes/students.csv")
    timed("next page", "GET", one + "/changes/students.csv", params={"offset": 50})
    timed("last page", "GET", one + "/changes/students.csv", params={"offset": total - 50})
    timed("a search", "GET", one + "/changes/students.csv", params={"q": "S0009999"})
    timed("commit", "POST", one + "/commit", json={})


GARBAGE = (
    b"02M800,%09d,Lastname,Firstname,Middle,13/45/2010,girl,Purple,55,N\n",  # values refused
    b"02M800,%09d,Lastname\n",  # too few fields
    b"02M800,%09d,Lastname,Firstname,Middle,01/02/2010,F,W,5,N,extra,extra\n",  # too many
    b"02M800,000000001,Lastname,Firstname,Middle,01/02/2010,F,W,5,N\n",  # the same id again
)


def garbage(base: str, headers: dict[str, str], total: int, pid: int) -> None:
    """N garbage rows through upload, validate and the report download, memory measured."""
    client = httpx.Client(headers=headers, timeout=1200)
    lines = [HEADER]
    for n in range(total):
        line = GARBAGE[n % len(GARBAGE)]
        lines.append(line % n if b"%09d" in line else line)
    body = b"".join(lines)
    del lines
    print(f"garbage: {total:,} rows, {len(body) / 1024**2:,.1f} MB")
    session = client.post(base + "/uploads", json={"model": "passport-roster"}).json()["id"]
    one = f"{base}/uploads/{session}"
    client.put(f"{one}/files/students.csv", content=body).raise_for_status()
    del body
    print(f"  server peak after the upload: {peak_kb(pid)[0] / 1024:,.0f} MB")
    started = time.perf_counter()
    answer = client.post(one + "/validate")
    answer.raise_for_status()
    issues = sum(answer.json()["report"]["summary"].values())
    print(
        f"  validate: {time.perf_counter() - started:.1f} s, answer "
        f"{len(answer.content) / 1024:,.0f} KB, {issues:,} issues; "
        f"server peak {peak_kb(pid)[0] / 1024:,.0f} MB"
    )
    version = client.get(base + "/versions").json()[0]["version"]
    started, size, chunks = time.perf_counter(), 0, 0
    with client.stream("GET", f"{base}/versions/{version}/report") as download:
        download.raise_for_status()
        streamed = "content-length" not in download.headers
        for chunk in download.iter_bytes():
            size += len(chunk)
            chunks += 1
    print(
        f"  report download: {size / 1024**2:,.0f} MB in {time.perf_counter() - started:.1f} s "
        f"({'streamed, chunked' if streamed else 'sent whole'}); server peak "
        f"{peak_kb(pid)[0] / 1024:,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--students", type=int, default=0, help="also time a district's steps")
    parser.add_argument("--garbage", type=int, default=0, help="also N garbage rows")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="rp-bench-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "ROSTERPORT_DATA_DIR": str(data)}
    subprocess.run(
        [sys.executable, "-m", "rosterport", "org", "create", "bench"], env=env, check=True
    )
    token = subprocess.run(
        [
            sys.executable,
            "-c",
            "from rosterport.bootstrap import build_hub; from rosterport.config import Settings;"
            "from rosterport.services import accounts; from rosterport.services.organizations "
            "import get_org; h = build_hub(Settings()); o = get_org(h, 'bench');"
            "a = accounts.create_account(h, 'b@bench.example', 'benchmark-pw', org=o);"
            "print(accounts.create_token(h, o, a, 'bench'))",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    server = subprocess.Popen(
        [sys.executable, "-m", "rosterport", "serve", "--port", str(port), "--sftp-port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1/orgs/bench"
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(200):
            try:
                httpx.get(base, headers=headers)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        if args.garbage:
            garbage(base, headers, args.garbage, server.pid)
        if not args.mb:
            return
        before = peak_kb(server.pid)
        session = httpx.post(
            base + "/uploads", json={"model": "passport-roster"}, headers=headers
        ).json()["id"]
        started = time.perf_counter()
        answer = httpx.put(
            f"{base}/uploads/{session}/files/students.csv",
            content=rows(args.mb * 1024 * 1024),
            headers=headers,
            timeout=600,
        )
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        after = peak_kb(server.pid)
        stored = data / "blobs" / "sessions" / session / "files" / "students.csv"
        size = stored.stat().st_size / 1024**2
        print(f"uploaded and stored {size:,.0f} MB in {elapsed:.1f} s ({size / elapsed:,.0f} MB/s)")
        print(f"server peak memory before: {before[0] / 1024:,.0f} MB, ", end="")
        print(f"after: {after[0] / 1024:,.0f} MB")
        if args.students:
            district(base, headers, args.students, data / "district")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
