"""End to end with the domain mapping (`rosterport.domain.roster`, merged from branch
`roster`): Clever-style passport-roster CSVs uploaded → propagated → read through the
OneRoster API with an OAuth 2.0 client. Skipped until the mapping is in the tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from authlib.integrations.httpx_client import OAuth2Client
from fastapi.testclient import TestClient

from rosterport.bootstrap import build_hub, build_worker
from rosterport.config import Settings
from rosterport.services import api_apps
from rosterport.services.organizations import create_org
from tests.conftest import district
from tests.services.test_propagation import commit

pytest.importorskip("rosterport.domain.roster")

BASE = "http://testserver/ims/oneroster/v1p1"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[OAuth2Client, TestClient]]:
    from rosterport.web.app import create_app

    settings = Settings(data_dir=tmp_path / "data", sftp_port=0)
    hub = build_hub(settings)  # the domain's mapping: no stand-in
    org = create_org(hub, "springfield", "Springfield USD")
    commit(hub, org, district())
    build_worker(hub, name="tests").drain()
    made, secret = api_apps.create(hub, org, "e2e", scopes=[api_apps.FULL])
    with TestClient(create_app(hub, settings, worker=False), base_url="http://testserver") as c:
        oauth = OAuth2Client(
            made.client_id, secret, transport=c._transport, base_url="http://testserver"
        )
        oauth.fetch_token("http://testserver/oauth/token", grant_type="client_credentials")
        yield oauth, c
    hub.engine.dispose()


def test_uploaded_csvs_are_served_as_oneroster(
    served: tuple[OAuth2Client, TestClient],
) -> None:
    http, _ = served
    orgs = http.get(BASE + "/orgs").json()["orgs"]
    types = {o["type"] for o in orgs}
    assert {"district", "school"} <= types
    schools = http.get(BASE + "/schools").json()["orgs"]
    assert len(schools) == 2
    students = http.get(BASE + "/students", params={"limit": 200}).json()["users"]
    teachers = http.get(BASE + "/teachers").json()["users"]
    assert len(students) == 5
    assert teachers
    assert all("password" not in u for u in students)
    assert all(u["status"] == "active" for u in students)
    classes = http.get(BASE + "/classes").json()["classes"]
    assert classes
    roster = http.get(f"{BASE}/classes/{classes[0]['sourcedId']}/students").json()["users"]
    assert all(u["role"] == "student" for u in roster)
    for school in schools:
        answer = http.get(f"{BASE}/schools/{school['sourcedId']}/enrollments")
        assert answer.status_code == 200
    assert http.get(BASE + "/demographics").status_code == 200
    href = students[0]["orgs"][0]["href"]
    assert href.startswith(BASE + "/orgs/")
