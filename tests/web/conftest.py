"""A running web application (in-process, embedded worker) on SQLite, with a platform
administrator, two organizations and an administrator of each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.services import accounts
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org
from rosterport.web.app import create_app

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


def routes_of(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every endpoint, through included routers (FastAPI includes them
    lazily, so `app.routes` alone does not list them)."""
    for route in routes:
        if hasattr(route, "original_router"):
            inner = route.original_router
            yield from routes_of(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            full = route.path if route.path.startswith(prefix) else prefix + route.path
            yield from ((method, full) for method in sorted(route.methods))
