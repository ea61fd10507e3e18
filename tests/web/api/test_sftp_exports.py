"""SFTP export through the API: create, deliver after a version (the embedded worker),
the deliveries with checksums, Test Connection, host key trust, scoping and secrets."""

from __future__ import annotations

from tests.services.test_sftp_export import PASSWORD, USER, Vendor
from tests.sftp.conftest import wait_for
from tests.web.api.test_uploads import upload_valid
from tests.web.conftest import Site

API = "/api/v1/orgs/springfield/sftp/exports"


def test_an_export_is_created_delivered_after_a_version_and_tested(
    site: Site, vendor: Vendor
) -> None:
    headers = site.token()
    (vendor.root / "roster").mkdir()  # Test Connection lists the folder
    made = site.client.post(
        API,
        json={
            "host": "127.0.0.1",
            "port": vendor.port,
            "username": USER,
            "password": PASSWORD,
            "path": "roster",
            "delta": True,
            "zipped": True,
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert PASSWORD not in made.text
    assert body["data_schema"] == "IMS OneRoster 1.1"
    assert body["host_key_pinned"] is False
    one = f"{API}/{body['id']}"

    tested = site.client.post(f"{one}/test", headers=headers).json()
    assert tested["ok"] is True, tested
    assert tested["fingerprint"] == vendor.host_key.get_fingerprint("sha256")
    trusted = site.client.post(
        f"{one}/trust", json={"fingerprint": tested["fingerprint"]}, headers=headers
    )
    assert trusted.status_code == 200, trusted.text
    assert trusted.json()["host_key_pinned"] is True

    upload_valid(site, headers)  # committed, propagated, then delivered by the worker
    wait_for(lambda: vendor.files("roster").get("oneroster.zip"), what="the delivery")
    shown = wait_for(
        lambda: (
            (d := site.client.get(one, headers=headers).json())["deliveries"]
            and d["deliveries"][0]["state"] == "done"
            and d
        ),
        what="the delivery's record",
    )
    (delivery,) = shown["deliveries"]
    assert delivery["kind"] == "bulk"
    assert delivery["files"][0]["name"] == "oneroster.zip"
    assert len(delivery["files"][0]["sha256"]) == 64

    queued = site.client.post(f"{one}/run", headers=headers)
    assert queued.status_code == 202
    changed = site.client.put(
        one,
        json={"options": {"schedule": "02:30", "time_zone": "America/Chicago"}},
        headers=headers,
    )
    assert changed.json()["schedule"] == "02:30"
    wrong = site.client.put(one, json={"options": {"schedule": "late"}}, headers=headers)
    assert wrong.status_code == 400
    assert "HH:MM" in wrong.json()["error"]["message"]


def test_another_organizations_export_is_not_found(site: Site, vendor: Vendor) -> None:
    made = site.client.post(
        API,
        json={"host": "127.0.0.1", "port": vendor.port, "username": USER, "password": PASSWORD},
        headers=site.token(),
    ).json()
    other = site.token(site.other, "admin@shelbyville.example")
    answer = site.client.get(f"/api/v1/orgs/shelbyville/sftp/exports/{made['id']}", headers=other)
    assert answer.status_code == 404
    assert site.client.get(f"{API}/{made['id']}", headers=other).status_code in (403, 404)
