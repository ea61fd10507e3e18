"""The delivery ledger page of a version, opened from the Version History: the internal
consumers and a webhook endpoint's row, and "Redeliver" for a failed delivery."""

from __future__ import annotations

import dataclasses
import time

from rosterport.domain.version_status import PENDING
from rosterport.services import api_apps, ledger, webhook_endpoints
from tests.web.admin.test_views import commit
from tests.web.conftest import Site, sign_in


def settled(site: Site, version: int, consumers: int) -> list[ledger.Entry]:
    """The version's ledger once the embedded worker has written `consumers` settled rows."""
    for _ in range(200):
        entries = ledger.entries(site.hub, site.home, version)
        if sum(e.state not in ("pending", "retrying") for e in entries) >= consumers:
            return entries
        time.sleep(0.05)
    raise AssertionError(f"version {version} did not settle: {entries}")


def test_a_versions_deliveries_page_shows_the_ledger_and_redelivers(site: Site) -> None:
    made, _ = api_apps.create(site.hub, site.home, "Moodle")
    allowed = dataclasses.replace(site.hub, webhook_allow_private=True)
    endpoint, _ = webhook_endpoints.add(
        allowed, site.home, made.client_id, "http://127.0.0.1:9/hooks"
    )
    version, status = commit(site, site.home)
    assert status == PENDING
    entries = settled(site, version, 4)  # this instance does not allow loopback: refused
    assert {e.consumer: e.state for e in entries} == {
        "directory": "done",
        "read-model": "done",
        "roster-store": "done",
        f"webhook:{endpoint.id}": "refused",
    }
    csrf = sign_in(site.client, "admin@springfield.example")
    history = site.client.get("/orgs/springfield/history")
    link = f"/orgs/springfield/versions/{version}/deliveries"
    assert link in history.text
    page = site.client.get(link)
    assert page.status_code == 200
    assert "Webhook http://127.0.0.1:9/hooks" in page.text
    assert "Roster store and event feed" in page.text
    assert page.text.count(">Redeliver</button>") == 1
    again = site.client.post(
        f"{link}/redeliver", data={"csrf_token": csrf, "endpoint_id": str(endpoint.id)}
    )
    assert f"Version {version} is being delivered again to 1 endpoint." in again.text
    assert site.client.get("/orgs/springfield/versions/999/deliveries").status_code == 404


def test_an_applications_page_lists_its_endpoints_and_its_deliveries(site: Site) -> None:
    made, _ = api_apps.create(site.hub, site.home, "Canvas")
    other, _ = api_apps.create(site.hub, site.home, "Other")
    allowed = dataclasses.replace(site.hub, webhook_allow_private=True)
    endpoint, _ = webhook_endpoints.add(
        allowed, site.home, made.client_id, "http://127.0.0.1:9/canvas"
    )
    version, _ = commit(site, site.home)
    settled(site, version, 4)
    sign_in(site.client, "admin@springfield.example")
    listing = site.client.get("/orgs/springfield/apps/api")
    page_link = f"/orgs/springfield/apps/api/{made.client_id}"
    assert page_link in listing.text
    page = site.client.get(page_link)
    assert page.status_code == 200
    assert "http://127.0.0.1:9/canvas" in page.text  # its endpoint
    row = page.text.split(f'data-version="{version}"')[1].split("</tr>")[0]
    assert "refused" in row  # this instance does not deliver to loopback
    assert f"/orgs/springfield/versions/{version}/deliveries" in row
    assert endpoint.url not in site.client.get(f"/orgs/springfield/apps/api/{other.client_id}").text
    assert site.client.get("/orgs/springfield/apps/api/nope").status_code == 404
