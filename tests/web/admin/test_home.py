"""The organization's home dashboard: where an administrator lands, what is in production,
the last upload per source, what is Held or failed with its actions, stale feeds, trends."""

from __future__ import annotations

from pathlib import Path

from rosterport.csvio.sources import SourceFile
from rosterport.domain.issue_type import Level
from rosterport.domain.version_status import HELD, PENDING, VALIDATION_ERRORS
from rosterport.services import hosted_accounts, upload_commit, upload_validation, uploads
from rosterport.services.hub import Hub
from rosterport.services.integrations import set_columns
from rosterport.services.organizations import Organization
from tests.conftest import DATA
from tests.web.conftest import Site, sign_in

VALID = DATA / "passport" / "valid-district"
BAD_DOB = DATA / "passport" / "student-bad-dob" / "students.csv"


def upload(
    hub: Hub,
    org: Organization,
    *,
    source: str = "web",
    students: Path | None = None,
    drop_enrollments: bool = False,
    warn: bool = False,
) -> tuple[int, str]:
    """Upload the valid district (with other students, or fewer enrollments)."""
    files = []
    for path in sorted(VALID.glob("*.csv")):
        data = (students or path).read_bytes() if path.name == "students.csv" else path.read_bytes()
        if drop_enrollments and path.name == "enrollments.csv":
            data = b"".join(data.splitlines(keepends=True)[:2])
        files.append(SourceFile.of(path.name, data))
    session = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, session.id, files)
    session, report = upload_validation.run_validation(
        hub,
        org,
        session.id,
        committed_by="t@x.org",
        source=source,
        levels={"invalid-format": Level.WARN} if warn else None,
    )
    if not report.valid:
        return int(session.data["version"]), VALIDATION_ERRORS
    version, status, _ = upload_commit.commit(
        hub, org, session.id, committed_by="t@x.org", source=source
    )
    return version, status


def test_signing_in_lands_on_the_dashboard(site: Site) -> None:
    sign_in(site.client, "admin@springfield.example")
    assert site.client.get("/", follow_redirects=False).headers["location"] == "/orgs/springfield"
    page = site.client.get("/orgs/springfield")
    assert page.status_code == 200
    assert "Nothing is waiting for you." in page.text
    assert "Nothing yet." in page.text  # no production version of any model
    assert 'href="/orgs/springfield" aria-current="page">Home' in page.text


def test_the_dashboard_shows_production_sources_held_failed_and_trends(site: Site) -> None:
    first, status = upload(site.hub, site.home, source="api")
    assert status == PENDING
    filtered, status = upload(site.hub, site.home, students=BAD_DOB, warn=True)
    assert status == PENDING
    failed, status = upload(site.hub, site.home, students=BAD_DOB)
    assert status == VALIDATION_ERRORS
    held, status = upload(site.hub, site.home, source="api", drop_enrollments=True)
    assert status == HELD
    feed = hosted_accounts.add_hosted_account(
        site.hub, site.home, login="nightly", password="a-long-password"
    )
    set_columns(site.hub, feed, stale_since=site.hub.clock())
    csrf = sign_in(site.client, "admin@springfield.example")
    page = site.client.get("/orgs/springfield").text

    production = page.split('id="production"')[1].split("</section>")[0]
    assert f"#v{filtered}" in production  # the production version, linked into the history
    assert "4 records filtered" in production
    sources = page.split('id="sources"')[1].split("</section>")[0]
    assert f"Version {held}</a>" in sources  # the last API upload: Held
    assert f"Version {failed}</a>" in sources  # the last web upload: Validation Errors
    assert "nightly" in sources
    assert "no delivery yet" in sources
    todo = page.split('id="todo"')[1].split("</section>")[0]
    assert f'action="/orgs/springfield/versions/{held}/approve"' in todo
    assert f'action="/orgs/springfield/versions/{held}/discard"' in todo
    assert "data-confirm=" in todo  # discarding asks first
    assert f"/versions/{failed}/report" in todo
    assert "Stale feed" in todo
    assert f"/apps/sftp/{feed.id}" in todo
    trends = page.split('id="trends"')[1].split("</section>")[0]
    for version in (first, filtered, failed, held):
        assert f'data-version="{version}"' in trends
    assert 'class="bar-warn w-100"' in trends  # the most issues (4 warnings): a full bar
    assert 'class="bar-error w-50"' in trends  # 2 errors: half of it

    # the actions work from the dashboard and come back to the history
    answer = site.client.post(
        f"/orgs/springfield/versions/{held}/discard", data={"csrf_token": csrf}
    )
    assert f"Version {held} discarded." in answer.text
    assert 'data-kind="held"' not in site.client.get("/orgs/springfield").text


def test_history_says_how_many_records_were_filtered(site: Site) -> None:
    version, _ = upload(site.hub, site.home, students=BAD_DOB, warn=True)
    sign_in(site.client, "admin@springfield.example")
    page = site.client.get("/orgs/springfield/history").text
    row = page.split(f'id="v{version}"')[1].split("</tr>")[0]
    assert "4 records filtered" in row


def test_another_organizations_dashboard_is_not_found(site: Site) -> None:
    sign_in(site.client, "admin@springfield.example")
    assert site.client.get("/orgs/shelbyville").status_code == 404
