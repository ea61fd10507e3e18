"""Warnings visible: a version with filtered records says so (history, dashboard, its
notification, the API's version), and an organization safeguard holds an unattended (SFTP)
upload that filters more than a share of a file (default 10%), first loads included."""

from __future__ import annotations

from dataclasses import replace

from rosterport.csvio.sources import SourceFile
from rosterport.domain.issue_type import Level
from rosterport.domain.version_status import HELD, PENDING
from rosterport.services import deliveries, hosted_accounts
from rosterport.services import integrations as ints
from rosterport.services.notifications import list_notifications
from rosterport.services.organizations import get_org, update_settings
from tests.conftest import district
from tests.web.conftest import Site, sign_in

BAD_DOB = district("student-bad-dob")  # 2 of 5 students with invalid dates of birth


def warn_on_formats(site: Site) -> None:
    org = get_org(site.hub, "springfield")
    update_settings(site.hub, org, replace(org.settings, levels={"invalid-format": Level.WARN}))


def deliver(site: Site) -> deliveries.DeliveryResult:
    feed = ints.list_integrations(site.hub, site.home) or [
        hosted_accounts.add_hosted_account(
            site.hub, site.home, login="nightly", password="a-long-password"
        )
    ]
    files = [SourceFile.of(name, data) for name, data in BAD_DOB.items()]
    return deliveries.process_delivery(site.hub, feed[0], files)


def test_an_sftp_first_load_filtering_too_much_is_held(site: Site) -> None:
    warn_on_formats(site)
    result = deliver(site)
    assert result.status == HELD
    message = list_notifications(site.hub, site.home)[0].message
    assert message.startswith(
        "Held: validation filtered out 2 of 5 students (40%, more than the 10% allowed)"
    )
    sign_in(site.client, "admin@springfield.example")
    home = site.client.get("/orgs/springfield").text
    assert "validation filtered out 2 of 5 students" in home
    assert f'action="/orgs/springfield/versions/{result.version}/approve"' in home


def test_a_lenient_safeguard_commits_and_every_page_says_what_was_filtered(site: Site) -> None:
    warn_on_formats(site)
    csrf = sign_in(site.client, "admin@springfield.example")
    page = site.client.get("/orgs/springfield/settings").text
    assert 'name="filtered_threshold" inputmode="decimal" value="10"' in page
    form = {
        "csrf_token": csrf,
        "mode": "full",
        "default_threshold": "10",
        "filtered_threshold": "50",
        "level-invalid-format": "warn",
        "model-passport-roster": "on",
    }
    assert "Settings saved." in site.client.post("/orgs/springfield/settings", data=form).text
    assert get_org(site.hub, "springfield").settings.filtered_threshold == 0.5
    bad = site.client.post(
        "/orgs/springfield/settings", data={**form, "filtered_threshold": "lots"}
    ).text
    assert "must be a number of percent" in bad

    result = deliver(site)
    assert result.status == PENDING
    message = list_notifications(site.hub, site.home)[0].message
    assert message.endswith("Pending propagation, 4 records filtered.")
    history = site.client.get("/orgs/springfield/history").text
    row = history.split(f'id="v{result.version}"')[1].split("</tr>")[0]
    assert "4 records filtered" in row
    home = site.client.get("/orgs/springfield").text
    assert "4 records filtered" in home.split('id="production"')[1].split("</section>")[0]
    api = site.client.get(f"/api/v1/orgs/springfield/versions/{result.version}").json()
    assert api["filtered"] == 4
