"""A running web application (in-process, embedded worker) on SQLite, with a platform
administrator, two organizations and an administrator of each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from rosterport.bootstrap import build_hub, build_worker
from rosterport.config import Settings
from rosterport.services import accounts
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org
from rosterport.store import jobs as queue
from rosterport.web.app import create_app
from tests.conftest import free_port

PASSWORD = "correct horse battery"


@dataclass
class Site:
    hub: Hub
    settings: Settings
    client: TestClient
    home: Organization  # the organization of admin@springfield.example
    other: Organization  # another district, managed by admin@shelbyville.example

    def token(
        self, org: Organization | None = None, email: str = "admin@springfield.example"
    ) -> dict[str, str]:
        """Bearer headers for a new API token of `org` (default: the home organization)."""
        target = org or self.home
        account = next(a for a in accounts.list_accounts(self.hub) if a.email == email)
        return {
            "Authorization": f"Bearer {accounts.create_token(self.hub, target, account, 'tests')}"
        }

    def settle(self, timeout: float = 30.0) -> None:
        """Run every ready job here and wait for those the app's embedded worker thread
        took: a drain alone returns while that thread is still running one (a SCIM push,
        a propagation), and the test would look too early."""
        worker = build_worker(self.hub, name="tests")
        deadline = time.monotonic() + timeout
        while worker.drain() or queue.list_jobs(self.hub.engine, state=queue.RUNNING):
            assert time.monotonic() < deadline, "jobs still running"
            time.sleep(0.05)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign the client in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    csrf = page.text.split('name="login_csrf" value="')[1].split('"')[0]
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "login_csrf": csrf, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert "error=" not in answer.headers["location"], answer.headers["location"]
    signed = accounts.signed_in(client.app.state.hub, client.cookies["rosterport_session"])  # type: ignore[attr-defined]
    assert signed is not None
    return signed.csrf


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path / "data", sftp_port=0, login_attempts=5)
    hub = build_hub(settings)
    home = create_org(hub, "springfield", "Springfield USD")
    other = create_org(hub, "shelbyville", "Shelbyville USD")
    accounts.create_account(hub, "root@platform.example", PASSWORD, platform=True)
    accounts.create_account(hub, "admin@springfield.example", PASSWORD, org=home)
    accounts.create_account(hub, "admin@shelbyville.example", PASSWORD, org=other)
    app = create_app(hub, settings)
    with TestClient(app, base_url="http://testserver") as client:
        yield Site(hub, settings, client, home, other)
    hub.engine.dispose()


def endpoints_of(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str, APIRoute]]:
    """(method, path, route) of every endpoint, through included routers (FastAPI includes
    them lazily, so `app.routes` alone does not list them)."""
    for route in routes:
        if hasattr(route, "original_router"):
            inner = route.original_router
            yield from endpoints_of(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            full = route.path if route.path.startswith(prefix) else prefix + route.path
            yield from ((method, full, route) for method in sorted(route.methods))


def routes_of(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every endpoint (see `endpoints_of`)."""
    for method, path, _ in endpoints_of(routes, prefix):
        yield method, path


# -- a real server, for attacks that need real parallelism or a real crash ----------------------


def prepare_data(data_dir: Path, db_url: str | None = None) -> dict[str, str]:
    """The `site` fixture's organizations and accounts in `data_dir` (and `db_url`), made
    before a server starts there; returns an API token of the home organization."""
    hub = build_hub(Settings(data_dir=data_dir, database_url=db_url, sftp_port=0))
    try:
        home = create_org(hub, "springfield", "Springfield USD")
        other = create_org(hub, "shelbyville", "Shelbyville USD")
        accounts.create_account(hub, "root@platform.example", PASSWORD, platform=True)
        admin = accounts.create_account(hub, "admin@springfield.example", PASSWORD, org=home)
        accounts.create_account(hub, "admin@shelbyville.example", PASSWORD, org=other)
        token = accounts.create_token(hub, home, admin, "tests")
    finally:
        hub.engine.dispose()
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    output: list[str]


@contextmanager
def served(data_dir: Path, db_url: str | None = None, **env: str) -> Iterator[Server]:
    """`rosterport serve` in a subprocess on `data_dir` (and `db_url`), with `env` added to
    its environment (ROSTERPORT_* settings); stopped at the end unless it died already."""
    port = free_port()
    settings_env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTERPORT_")}
    settings_env.update(ROSTERPORT_DATA_DIR=str(data_dir), ROSTERPORT_SFTP_PORT="0")
    settings_env.update({"ROSTERPORT_DATABASE_URL": db_url} if db_url else {})
    settings_env.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "rosterport", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=settings_env,
    )
    output: list[str] = []
    reader = process.stdout
    assert reader is not None
    # keep reading what the server prints, or a full pipe would block it
    threading.Thread(target=lambda: output.extend(reader), daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url + "/login", timeout=5)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the server did not start:\n" + "".join(output)) from None
            time.sleep(0.1)
    try:
        yield Server(url, process, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def login_form(url: str, **headers: str) -> tuple[httpx.Client, str]:
    """A client that has opened the sign-in page, and the form's token."""
    client = httpx.Client(base_url=url, headers=headers, timeout=120)
    page = client.get("/login")
    return client, page.text.split('name="login_csrf" value="')[1].split('"')[0]
