"""The SFTP app's Sync Mode: Export in the admin UI: add an export, Test Connection, trust
the host key, deliver now, see the delivery with its checksums."""

from __future__ import annotations

from tests.services.test_sftp_export import PASSWORD, USER, Vendor
from tests.sftp.conftest import wait_for
from tests.web.api.test_uploads import upload_valid
from tests.web.conftest import Site, sign_in

BASE = "/orgs/springfield/apps/sftp-export"


def test_add_test_trust_and_deliver(site: Site, vendor: Vendor) -> None:
    upload_valid(site, site.token())
    csrf = sign_in(site.client, "admin@springfield.example")
    assert "Sync Mode: Export" in site.client.get("/orgs/springfield/apps").text
    page = site.client.get(f"{BASE}/new")
    assert page.status_code == 200
    assert "IMS OneRoster 1.1" in page.text
    wrong = site.client.post(
        f"{BASE}/new",
        data={"csrf_token": csrf, "host": "127.0.0.1", "username": USER, "password": PASSWORD,
              "when": "time", "time": "late"},
    )  # fmt: skip
    assert wrong.status_code == 400
    assert "HH:MM" in wrong.text
    assert PASSWORD not in wrong.text  # secrets are never shown again
    made = site.client.post(
        f"{BASE}/new",
        data={"csrf_token": csrf, "name": "Learning app", "host": "127.0.0.1",
              "port": str(vendor.port), "username": USER, "auth": "password",
              "password": PASSWORD, "use_home": "on", "files": "users-orgs", "delta": "delta",
              "zipped": "loose", "when": "time", "time": "23:59", "time_zone": "UTC"},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    one = made.headers["location"]
    tested = site.client.post(f"{one}/test", data={"csrf_token": csrf})
    fingerprint = vendor.host_key.get_fingerprint("sha256")
    assert fingerprint in tested.text
    assert "Trust this host key" in tested.text
    trusted = site.client.post(
        f"{one}/trust", data={"csrf_token": csrf, "fingerprint": fingerprint}
    )
    assert "Host key: <strong>pinned" in trusted.text
    site.client.post(f"{one}/run", data={"csrf_token": csrf})
    files = wait_for(
        lambda: vendor.files("").get("manifest.csv") and vendor.files(""), what="files"
    )
    assert set(files) == {"manifest.csv", "orgs.csv", "users.csv"}
    shown = wait_for(lambda: "SHA-256" in (t := site.client.get(one).text) and t, what="delivery")
    assert "users.csv" in shown
    listed = site.client.get(BASE).text
    assert "Learning app" in listed
    assert "23:59 UTC" in listed
