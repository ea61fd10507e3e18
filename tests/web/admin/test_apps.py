"""The Application Gallery pages: activate the SFTP app and walk its setup steps."""

from __future__ import annotations

from rosterport.services import integrations as ints
from tests.web.api.test_uploads import upload_valid
from tests.web.conftest import Site, sign_in


def test_activate_the_sftp_app_and_finish_its_configuration(site: Site) -> None:
    upload_valid(site, site.token())
    csrf = sign_in(site.client, "admin@springfield.example")
    gallery = site.client.get("/orgs/springfield/apps")
    assert "Application Gallery" in gallery.text
    assert "Activate" in gallery.text
    form = site.client.get("/orgs/springfield/apps/sftp/new")
    for words in (
        "Sync Mode",
        "Delivery Config",
        "Authentication Type",
        "Data Schema",
        "Advanced settings",
        "Test Connection",
        "Use home folder",
    ):
        assert words in form.text, words
    bad = site.client.post(
        "/orgs/springfield/apps/sftp/new",
        data={
            "csrf_token": csrf,
            "server": "hosted",
            "username": "x",
            "auth": "password",
            "password": "short",
        },
    )
    assert "at least 10" in bad.text or "user name" in bad.text
    saved = site.client.post(
        "/orgs/springfield/apps/sftp/new",
        data={
            "csrf_token": csrf,
            "server": "hosted",
            "username": "springfield-sis",
            "auth": "password",
            "password": "nightly-export-1",
            "model": "passport-roster",
            "mode": "",
            "default_threshold": "20",
            "level-reference-not-found": "error",
            "pattern": "*.csv",
        },
    )
    assert "Schools Mapping" in saved.text
    [made] = ints.list_integrations(site.hub, site.home)
    assert not made.enabled
    assert made.settings.default_threshold == 0.2
    assert made.settings.levels["reference-not-found"].value == "error"
    base = f"/orgs/springfield/apps/sftp/{made.id}"

    source = b"School_id,School_name\nSIS-1,City High School\nSIS-2,Elsewhere\n"
    mapped = site.client.post(
        f"{base}/schools",
        data={"csrf_token": csrf},
        files={"source": ("schools.csv", source, "text/csv")},
    )
    assert "Schools read and mapped automatically." in mapped.text
    assert 'value="02M800" selected' in mapped.text
    attributes = site.client.post(
        f"{base}/schools", data={"csrf_token": csrf, "school-SIS-1": "02M800", "school-SIS-2": ""}
    )
    assert "Attributes Mapping" in attributes.text
    requirements = site.client.post(
        f"{base}/attributes",
        data={"csrf_token": csrf, "attr/students.csv/Student_number": "StudentNumber"},
    )
    assert "Data Requirements" in requirements.text
    finish = site.client.post(
        f"{base}/requirements", data={"csrf_token": csrf, "req/students.csv/Student_email": "skip"}
    )
    assert "Finish Configuration" in finish.text
    assert "1 renamed column(s)" in finish.text
    done = site.client.post(f"{base}/finish", data={"csrf_token": csrf})
    assert "is configured and takes deliveries" in done.text
    final = ints.get_integration(site.hub, site.home, made.id)
    assert final.enabled
    assert final.settings.schools == {"SIS-1": "02M800", "SIS-2": ""}
    assert final.settings.columns == {"students.csv": {"StudentNumber": "Student_number"}}
    assert {k: r.value for k, r in final.settings.requirements.items()} == {
        "students.csv/Student_email": "skip"
    }
    # editing the Delivery Config keeps the mappings
    site.client.post(
        base,
        data={
            "csrf_token": csrf,
            "server": "hosted",
            "username": "springfield-sis",
            "auth": "password",
            "model": "passport-roster",
            "pattern": "*",
        },
    )
    again = ints.get_integration(site.hub, site.home, made.id)
    assert again.settings.pattern == "*"
    assert again.settings.schools == final.settings.schools


def test_delivery_notifications_show_on_the_history_until_read(site: Site) -> None:
    from rosterport.services.notifications import list_notifications, notify

    notify(site.hub, site.home.id, "sftp-delivery", "springfield-sis: Held (removes too much)")
    csrf = sign_in(site.client, "admin@springfield.example")
    page = site.client.get("/orgs/springfield/history")
    assert "springfield-sis: Held (removes too much)" in page.text
    [unread] = list_notifications(site.hub, site.home, unread=True)
    site.client.post(
        "/orgs/springfield/notifications/read", data={"csrf_token": csrf, "ids": str(unread.id)}
    )
    assert "New since you last looked" not in site.client.get("/orgs/springfield/history").text
