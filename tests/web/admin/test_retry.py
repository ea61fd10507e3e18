"""Retry of a failed propagation from the web UI: the dashboard's "Needs your attention" and
the Version History show Retry on a version in "Propagation failed"; the form (CSRF-checked)
queues the propagation again, says so, and the embedded worker delivers the version. The
failure itself is made by the real worker in tests/services/test_versions.py; here the
version is put in the state the queue leaves when it gives up."""

from __future__ import annotations

import time

import sqlalchemy as sa

from rosterport.domain.version_status import IN_PRODUCTION, PROPAGATION_FAILED
from rosterport.store.tables import versions
from tests.web.admin.test_home import upload
from tests.web.conftest import Site, sign_in


def _status(site: Site, version: int) -> str:
    with site.hub.engine.connect() as conn:
        return str(
            conn.execute(sa.select(versions.c.status).where(versions.c.id == version)).scalar()
        )


def _wait_for(site: Site, version: int, status: str) -> None:
    deadline = time.monotonic() + 30
    while _status(site, version) != status and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _status(site, version) == status


def failed_version(site: Site) -> int:
    """A version in production whose propagation the queue gave up on."""
    version, _ = upload(site.hub, site.home, source="api")
    _wait_for(site, version, IN_PRODUCTION)
    with site.hub.engine.begin() as conn:
        conn.execute(
            sa.update(versions).where(versions.c.id == version).values(status=PROPAGATION_FAILED)
        )
    return version


def test_retry_from_the_dashboard_delivers_the_version(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    version = failed_version(site)
    home = site.client.get("/orgs/springfield").text
    item = home.split(f'data-version="{version}" data-kind="propagation"')[1].split("</li>")[0]
    assert f'action="/orgs/springfield/versions/{version}/retry"' in item
    assert "the worker retries it" not in item  # it has stopped: the page says so
    history = site.client.get("/orgs/springfield/history").text
    assert f'action="/orgs/springfield/versions/{version}/retry"' in history

    forged = site.client.post(f"/orgs/springfield/versions/{version}/retry", data={"back": "home"})
    assert forged.status_code == 403
    assert _status(site, version) == PROPAGATION_FAILED

    done = site.client.post(
        f"/orgs/springfield/versions/{version}/retry",
        data={"csrf_token": csrf, "back": "home"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/orgs/springfield"
    page = site.client.get("/orgs/springfield").text
    assert f"Version {version} is queued for propagation again" in page
    _wait_for(site, version, IN_PRODUCTION)

    again = site.client.post(
        f"/orgs/springfield/versions/{version}/retry", data={"csrf_token": csrf}
    )
    assert "not Propagation failed: nothing to retry" in again.text  # on the history page


def test_another_organizations_version_cannot_be_retried(site: Site) -> None:
    version = failed_version(site)
    csrf = sign_in(site.client, "admin@shelbyville.example")
    answer = site.client.post(
        f"/orgs/springfield/versions/{version}/retry", data={"csrf_token": csrf}
    )
    assert answer.status_code == 404
    answer = site.client.post(
        f"/orgs/shelbyville/versions/{version}/retry", data={"csrf_token": csrf}
    )
    assert answer.status_code == 200  # back on its own history, with the refusal
    assert _status(site, version) == PROPAGATION_FAILED
