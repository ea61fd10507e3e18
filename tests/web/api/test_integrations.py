"""The SFTP app through the API: Delivery Config, Test Connection, Schools Mapping,
Attributes Mapping, Data Requirements, Finish Configuration, notifications."""

from __future__ import annotations

from rosterport.services import hosted_accounts
from tests.conftest import free_port
from tests.web.api.test_uploads import upload_valid
from tests.web.conftest import Site

API = "/api/v1/orgs/springfield/integrations"


def test_the_sftp_app_is_set_up_step_by_step(site: Site) -> None:
    headers = site.token()
    upload_valid(site, headers)  # production has the schools 02M800 and 13K123
    made = site.client.post(
        API,
        json={
            "server": "hosted",
            "username": "springfield-sis",
            "auth": "password",
            "password": "nightly-export-1",
            "advanced": {"mode": "incremental", "pattern": "*.csv"},
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["server"] == "hosted"
    assert body["address"].startswith("off")  # the site's settings turn the server off
    assert body["enabled"] is False
    assert body["configured"] is False
    assert body["settings"]["mode"] == "incremental"
    one = f"{API}/{body['id']}"

    source = b"School_id,School_name\nSIS-1,City High School\nSIS-2,Somewhere New\n"
    schools = site.client.post(
        f"{one}/schools/source",
        files={"file": ("schools.csv", source, "text/csv")},
        headers=headers,
    ).json()
    assert {r["source"]: r["target"] for r in schools["rows"]} == {"SIS-1": "02M800", "SIS-2": ""}
    assert {s["id"] for s in schools["schools"]} == {"02M800", "13K123"}
    saved = site.client.put(
        f"{one}/schools", json={"mapping": {"SIS-1": "02M800", "SIS-2": "13K123"}}, headers=headers
    )
    assert saved.status_code == 200, saved.text
    wrong = site.client.put(f"{one}/schools", json={"mapping": {"SIS-1": "X"}}, headers=headers)
    assert wrong.status_code == 400
    assert "not a school of" in wrong.json()["error"]["message"]

    attributes = site.client.put(
        f"{one}/attributes",
        json={"columns": {"students.csv": {"StudentNumber": "Student_number"}}},
        headers=headers,
    ).json()
    assert attributes["columns"] == {"students.csv": {"StudentNumber": "Student_number"}}
    requirements = site.client.put(
        f"{one}/requirements",
        json={"requirements": {"students.csv/Student_email": "report"}},
        headers=headers,
    ).json()
    assert requirements["requirements"] == {"students.csv/Student_email": "report"}
    assert "Student_email" in requirements["optional"]["students.csv"]

    finished = site.client.post(f"{one}/finish", headers=headers).json()
    assert finished["enabled"] is True
    assert finished["configured"] is True
    assert hosted_accounts.hosted_account(site.hub, "springfield-sis") is not None
    listed = site.client.get(API, headers=headers).json()
    assert [i["username"] for i in listed] == ["springfield-sis"]


def test_a_custom_server_is_saved_encrypted_and_tested(site: Site) -> None:
    headers = site.token()
    port = free_port()  # nothing listens there
    probe = site.client.post(
        f"{API}/test",
        json={"host": "127.0.0.1", "port": port, "username": "x", "password": "y"},
        headers=headers,
    ).json()
    assert probe["ok"] is False
    assert "refused" in probe["steps"][0]["message"]
    made = site.client.post(
        API,
        json={
            "server": "custom",
            "host": "127.0.0.1",
            "port": port,
            "username": "rosterport",
            "auth": "password",
            "password": "their-password",
            "path": "exports",
            "advanced": {"after": "move", "move_to": "done", "interval_minutes": 60},
        },
        headers=headers,
    ).json()
    assert made["server"] == "custom"
    assert made["settings"]["path"] == "exports"
    assert made["settings"]["after"] == "move"
    saved = site.client.post(f"{API}/{made['id']}/test", headers=headers).json()
    assert saved["ok"] is False
    trust = site.client.post(
        f"{API}/{made['id']}/trust", json={"fingerprint": "SHA256:x"}, headers=headers
    )
    assert trust.status_code == 400
    assert "test the connection again" in trust.json()["error"]["message"]


def test_bad_delivery_config_is_refused_with_a_reason(site: Site) -> None:
    headers = site.token()
    answer = site.client.post(
        API,
        json={"server": "hosted", "username": "Bad Name", "auth": "password", "password": "x"},
        headers=headers,
    )
    assert answer.status_code == 400
    assert "SFTP user name" in answer.json()["error"]["message"]
