"""OneRoster API latency under concurrent clients, against a real `rosterport serve` (not a
timed test).

    .venv/bin/python bench/roster_load.py --students 100000 [--clients 20] [--requests 50]
        [--database URL] [--data-dir DIR]

Prepares (untimed) a data dir with an organization whose roster is a synthetic district
(`bench/generate.py`, committed and propagated with the CLI: `rosterport upload`), an API
application (`rosterport apps create`), then starts `rosterport serve` on a free port and,
for each read the goal names, runs `--clients` threads that each make `--requests` calls
with one OAuth 2 bearer token:

- `/users?limit=100&offset=<random>`: a page of 100 users at any offset;
- `/schools/{id}/students?limit=100`: a random school's students;
- `/classes/{id}/students`: a random class's students;
- `/users?filter=dateLastModified>'…'&limit=100&offset=<random>`: a delta read over every
  user (the filter matches all of them).

Prints the median, p95 and p99 of each, and the server's CPU time over the run. The goal
(issue 14): each ≤ 50 ms median and ≤ 200 ms p99 under 20 concurrent clients at 1M
students. The client threads run on the same 2 cores as the server: the figures include
their cost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
ROSTERPORT = [sys.executable, "-m", "rosterport"]
BASE = "/ims/oneroster/v1p1"


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [*ROSTERPORT, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"rosterport {args[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def district(students: int) -> Path:
    folder = REPO / "bench" / "data" / f"roster-{students}"
    if not (folder / "students.csv").exists():
        subprocess.run(
            [sys.executable, str(REPO / "bench" / "generate.py"), str(folder), "--students",
             str(students)],
            check=True,
        )  # fmt: skip
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def load(
    url: str, token: str, make_path: Callable[[random.Random], str], clients: int, requests: int
) -> list[float]:
    """`clients` threads, each making `requests` calls; every call's seconds."""
    timings: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[float] = []
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
            for _ in range(requests):
                path = make_path(rng)
                started = time.perf_counter()
                answer = http.get(path, timeout=60)
                mine.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    failures.append(f"{path}: {answer.status_code}")
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} calls failed, e.g. {failures[:3]}")
    return timings


def main() -> int:  # noqa: PLR0915 - one linear scenario, read top to bottom
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="calls per client and read")
    parser.add_argument("--database", default=None, help="database URL (default: SQLite)")
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse a prepared data dir")
    args = parser.parse_args()

    folder = district(args.students)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="roster-load-"))
    env = {**os.environ, "ROSTERPORT_DATA_DIR": str(data_dir)}
    if args.database:
        env["ROSTERPORT_DATABASE_URL"] = args.database
    prepared = data_dir / "bench-app.json"
    if not prepared.exists():
        started = time.perf_counter()
        cli("org", "create", "bench", "--name", "Bench USD", env=env)
        cli("upload", str(folder), "--org", "bench", "--model", "passport-roster", env=env)
        print(f"prepared: upload and propagation {time.perf_counter() - started:.0f} s")
        made = cli(
            "apps", "create", "--org", "bench", "--name", "load", "--format", "json", env=env
        )
        prepared.write_text(made)
    app = json.loads(prepared.read_text())

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*ROSTERPORT, "serve", "--port", str(port), "--sftp-port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        token = httpx.post(
            url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(app["client_id"], app["client_secret"]),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        first = httpx.get(url + BASE + "/users?limit=1", headers=headers)
        users = int(first.headers["X-Total-Count"])
        schools = [
            o["sourcedId"]
            for o in httpx.get(url + BASE + "/schools?limit=1000", headers=headers).json()["orgs"]
        ]
        classes = [
            c["sourcedId"]
            for c in httpx.get(url + BASE + "/classes?limit=1000", headers=headers, timeout=60)
            .json()["classes"]
        ]  # fmt: skip
        since = "2000-01-01T00:00:00Z"  # every user: the widest delta read
        reads: dict[str, Callable[[random.Random], str]] = {
            "/users page at a random offset": lambda r: (
                f"{BASE}/users?limit=100&offset={r.randrange(max(1, users - 100))}"
            ),
            "/schools/{id}/students": lambda r: (
                f"{BASE}/schools/{r.choice(schools)}/students?limit=100"
            ),
            "/classes/{id}/students": lambda r: f"{BASE}/classes/{r.choice(classes)}/students",
            "delta read (dateLastModified filter)": lambda r: (
                f"{BASE}/users?filter=dateLastModified%3E'{since}'&limit=100"
                f"&offset={r.randrange(max(1, users - 100))}"
            ),
        }
        cpu_before = server_cpu(server.pid)
        started = time.perf_counter()
        database = "PostgreSQL" if args.database else "SQLite"
        print(f"{args.students:,} students ({users:,} users), {args.clients} clients × "
              f"{args.requests} calls per read, {database}")  # fmt: skip
        print(f"{'read':40} {'median':>9} {'p95':>9} {'p99':>9} {'calls/s':>8}")
        for name, make_path in reads.items():
            began = time.perf_counter()
            timings = load(url, token, make_path, args.clients, args.requests)
            rate = len(timings) / (time.perf_counter() - began)
            median, p95, p99 = (
                statistics.median(timings) * 1000,
                percentile(timings, 0.95) * 1000,
                percentile(timings, 0.99) * 1000,
            )
            print(f"{name:40} {median:7.1f}ms {p95:7.1f}ms {p99:7.1f}ms {rate:8.0f}")
        wall = time.perf_counter() - started
        print(f"server cpu {server_cpu(server.pid) - cpu_before:.1f} s over {wall:.1f} s")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())
