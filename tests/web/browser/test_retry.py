"""An administrator retries a failed propagation from the dashboard: the Retry button under
"Needs your attention", the notice saying what happened, and the version then in production
(the embedded worker delivers it). The failed state is the one the queue leaves when it
gives up (the real failure is tested in tests/services/test_versions.py)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from rosterport.domain.version_status import IN_PRODUCTION, PROPAGATION_FAILED
from rosterport.services.hub import Hub
from rosterport.services.organizations import get_org
from rosterport.store.tables import versions
from tests.web.admin.test_home import upload
from tests.web.browser.conftest import Server
from tests.web.browser.test_upload_tool import sign_in


def _status(hub: Hub, version: int) -> str:
    with hub.engine.connect() as conn:
        return str(
            conn.execute(sa.select(versions.c.status).where(versions.c.id == version)).scalar()
        )


def test_retry_a_failed_propagation_from_the_dashboard(
    server: Server, browser: Any, hub: Hub
) -> None:
    version, _ = upload(hub, get_org(hub, "springfield"), source="api")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    sign_in(page, server, "admin@springfield.example", upload=False)
    for _ in range(150):
        if _status(hub, version) == IN_PRODUCTION:
            break
        page.wait_for_timeout(200)
    with hub.engine.begin() as conn:
        conn.execute(
            sa.update(versions).where(versions.c.id == version).values(status=PROPAGATION_FAILED)
        )
    page.reload()
    item = page.locator(f'#todo li[data-version="{version}"][data-kind="propagation"]')
    assert "stopped trying" in item.inner_text()
    item.get_by_role("button", name="Retry").click()
    page.wait_for_url(re.compile(r".*/orgs/springfield$"))
    notice = page.locator("[role=status]").inner_text()
    assert f"Version {version} is queued for propagation again" in notice
    for _ in range(150):
        if _status(hub, version) == IN_PRODUCTION:
            break
        page.wait_for_timeout(200)
    page.reload()
    assert page.locator(f'#todo li[data-version="{version}"]').count() == 0
    row = page.locator('#production tr[data-model="passport-roster"]')
    assert "Successfully in production" in row.inner_text()
