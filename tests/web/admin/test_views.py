"""The admin pages' forms: settings, history actions (approve, discard, restore), compare,
organizations and administrators."""

from __future__ import annotations

from rosterport.csvio.sources import SourceFile
from rosterport.domain.issue_type import Level
from rosterport.domain.policy import Mode
from rosterport.domain.version_status import HELD, PENDING
from rosterport.services import upload_commit, upload_validation, uploads
from rosterport.services.organizations import Organization, get_org
from tests.conftest import DATA
from tests.web.conftest import Site, sign_in

VALID = DATA / "passport" / "valid-district"


def commit(site: Site, org: Organization, drop_enrollments: bool = False) -> tuple[int, str]:
    files = []
    for path in sorted(VALID.glob("*.csv")):
        data = path.read_bytes()
        if drop_enrollments and path.name == "enrollments.csv":
            data = b"".join(data.splitlines(keepends=True)[:2])
        files.append(SourceFile.of(path.name, data))
    session = uploads.start(site.hub, org, "passport-roster")
    uploads.add_files(site.hub, org, session.id, files)
    upload_validation.run_validation(
        site.hub, org, session.id, committed_by="t@x.org", source="api"
    )
    version, status, _ = upload_commit.commit(
        site.hub, org, session.id, committed_by="t", source="api"
    )
    return version, status


def test_settings_form_saves_mode_levels_safeguards_and_models(site: Site) -> None:
    csrf = sign_in(site.client, "admin@springfield.example")
    page = site.client.get("/orgs/springfield/settings")
    assert "Upload mode" in page.text
    assert "Issue levels" in page.text
    saved = site.client.post(
        "/orgs/springfield/settings",
        data={
            "csrf_token": csrf,
            "mode": "incremental",
            "level-invalid-format": "warn",
            "default_threshold": "25",
            "threshold-students.csv": "5",
            "model-passport-roster": "on",
            "model-oneroster-1.1": "on",
        },
    )
    assert "Settings saved." in saved.text
    settings = get_org(site.hub, "springfield").settings
    assert settings.mode is Mode.INCREMENTAL
    assert settings.levels == {"invalid-format": Level.WARN}
    assert settings.default_threshold == 0.25
    assert settings.thresholds == {"students.csv": 0.05}
    assert settings.models == ("passport-roster", "oneroster-1.1")
    refused = site.client.post(
        "/orgs/springfield/settings",
        data={"csrf_token": csrf, "mode": "full", "default_threshold": "lots"},
    )
    assert "must be a number of percent" in refused.text
    assert get_org(site.hub, "springfield").settings.mode is Mode.INCREMENTAL


def test_history_page_approves_discards_and_restores(site: Site) -> None:
    first, status = commit(site, site.home)
    assert status == PENDING
    held, status = commit(site, site.home, drop_enrollments=True)
    assert status == HELD
    again, status = commit(site, site.home, drop_enrollments=True)
    assert status == HELD
    csrf = sign_in(site.client, "admin@springfield.example")
    page = site.client.get("/orgs/springfield/history")
    assert page.text.count(">Approve</button>") == 2
    discarded = site.client.post(
        f"/orgs/springfield/versions/{held}/discard", data={"csrf_token": csrf}
    )
    assert f"Version {held} discarded." in discarded.text
    approved = site.client.post(
        f"/orgs/springfield/versions/{again}/approve", data={"csrf_token": csrf}
    )
    assert f"Version {again} approved" in approved.text
    restored = site.client.post(
        f"/orgs/springfield/versions/{first}/restore",
        data={"csrf_token": csrf, "allow_deletions": "yes"},
    )
    assert f"Version {first} restored as version" in restored.text
    compared = site.client.get(
        "/orgs/springfield/compare", params={"first": first, "second": again}
    )
    assert compared.status_code == 200
    assert "enrollments.csv" in compared.text
    wrong = site.client.post(
        f"/orgs/springfield/versions/{held}/approve", data={"csrf_token": csrf}
    )
    assert "not Held" in wrong.text


def test_platform_admin_creates_an_organization_and_its_administrator(site: Site) -> None:
    csrf = sign_in(site.client, "root@platform.example")
    made = site.client.post(
        "/orgs", data={"csrf_token": csrf, "slug": "ogdenville", "name": "Ogdenville SD"}
    )
    assert "Organization Ogdenville SD created." in made.text
    bad = site.client.post("/orgs", data={"csrf_token": csrf, "slug": "No Spaces", "name": "x"})
    assert "must be 3–100 characters" in bad.text
    admin = site.client.post(
        "/admins",
        data={"csrf_token": csrf, "org": "ogdenville", "email": "boss@ogdenville.example"},
    )
    assert "Administrator boss@ogdenville.example created for Ogdenville SD." in admin.text
    assert "Their password (shown only now):" in admin.text
    switched = site.client.get("/orgs", params={"go": "ogdenville"}, follow_redirects=False)
    assert switched.headers["location"] == "/orgs/ogdenville"
