"""The OneRoster 1.1 REST API in-process, with a real OAuth 2.0 client (authlib, client
credentials): Moodle's sync sequence, Google's checks, paging, filters, scopes, school
subsets, errors, and another organization's data never visible."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from fastapi.testclient import TestClient

from rosterport.bootstrap import build_hub, build_worker
from rosterport.config import Settings
from rosterport.services import api_apps
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org, update_settings
from tests.conftest import EPOCH, Clock, district
from tests.roster import fake
from tests.services.test_propagation import commit, renamed

BASE = "http://testserver/ims/oneroster/v1p1"
TOKEN_URL = "http://testserver/oauth/token"


@dataclasses.dataclass
class World:
    hub: Hub
    client: TestClient
    home: Organization
    other: Organization
    clock: Clock

    def app(self, org: Organization | None = None, **options: Any) -> OAuth2Client:
        """An OAuth 2.0 client of a new application of `org`, holding a token."""
        made, secret = api_apps.create(self.hub, org or self.home, "tests", **options)
        oauth = OAuth2Client(
            made.client_id,
            secret,
            transport=self.client._transport,
            base_url="http://testserver",
        )
        oauth.fetch_token(TOKEN_URL, grant_type="client_credentials")
        return oauth

    def publish(self, org: Organization, files: dict[str, bytes]) -> int:
        version = commit(self.hub, org, files)
        build_worker(self.hub, name="tests").drain()
        return version


def removals_allowed(hub: Hub, org: Organization) -> Organization:
    return update_settings(hub, org, dataclasses.replace(org.settings, default_threshold=1.0))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    from rosterport.web.app import create_app

    clock = Clock()
    settings = Settings(data_dir=tmp_path / "data", sftp_port=0)
    hub = dataclasses.replace(build_hub(settings, clock=clock), roster_mapping=fake.to_roster)
    home = removals_allowed(hub, create_org(hub, "springfield", "Springfield USD"))
    other = create_org(hub, "shelbyville", "Shelbyville USD")
    app = create_app(hub, settings, worker=False)
    with TestClient(app, base_url="http://testserver") as client:
        yield World(hub, client, home, other, clock)
    hub.engine.dispose()


def get(http: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return http.get(BASE + path, params=params)


def ok(http: httpx.Client, path: str, **params: Any) -> Any:
    answer = get(http, path, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def code_of(answer: httpx.Response) -> str:
    info = answer.json()["statusInfoSet"][0]
    return str(info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"])


def test_moodle_sync_sequence(world: World) -> None:
    world.publish(world.home, district())
    moodle = world.app()
    orgs = ok(moodle, "/orgs")["orgs"]
    assert {o["sourcedId"] for o in orgs} == {"district-springfield", "02M800", "13K123"}
    school = next(o for o in orgs if o["sourcedId"] == "02M800")
    assert school["status"] == "active"
    assert school["dateLastModified"] == "2026-11-28T09:00:00.000Z"
    assert school["parent"]["href"] == BASE + "/orgs/district-springfield"  # full href
    since = (EPOCH - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    users = ok(moodle, "/users", filter=f"dateLastModified>'{since}'")["users"]
    assert len(users) == 8  # 5 students, 3 teachers
    assert ok(moodle, "/users", filter="dateLastModified>'2026-11-29T00:00:00Z'")["users"] == []
    for org in (o for o in orgs if o["type"] == "school"):
        sid = org["sourcedId"]
        assert ok(moodle, f"/schools/{sid}")["org"]["sourcedId"] == sid
        terms = ok(moodle, f"/schools/{sid}/terms")["academicSessions"]
        classes = ok(moodle, f"/schools/{sid}/classes")["classes"]
        assert all(c["school"]["sourcedId"] == sid for c in classes)
        if sid == "02M800":
            assert terms
            assert classes
        seen: list[str] = []
        offset = 0
        while True:  # paging limit 2 until a short page
            answer = get(moodle, f"/schools/{sid}/enrollments", limit=2, offset=offset)
            assert answer.status_code == 200
            page = answer.json()["enrollments"]
            total = int(answer.headers["X-Total-Count"])
            seen += [e["sourcedId"] for e in page]
            if len(page) < 2:
                break
            offset += 2
        assert len(seen) == len(set(seen)) == total
        assert seen == sorted(seen)


def test_google_checks(world: World) -> None:
    world.publish(world.home, district())
    google = world.app()
    answer = get(google, "/teachers", limit=1)
    teachers = answer.json()["users"]
    assert len(teachers) == 1
    total = int(answer.headers["X-Total-Count"])
    assert total > 1
    assert 'rel="next"' in answer.headers["Link"]
    assert 'rel="last"' in answer.headers["Link"]
    teacher = teachers[0]
    found = ok(google, "/teachers", filter=f"email='{teacher['email']}'")["users"]
    assert [t["sourcedId"] for t in found] == [teacher["sourcedId"]]
    classes = ok(google, f"/teachers/{teacher['sourcedId']}/classes", filter="status='active'")
    assert classes["classes"]
    cid = classes["classes"][0]["sourcedId"]
    students = ok(google, f"/classes/{cid}/students")["users"]
    assert students
    assert {s["role"] for s in students} == {"student"}
    assert ok(google, f"/users/{teacher['sourcedId']}")["user"]["role"] == "teacher"


def test_delta_reads_see_tombstones(world: World) -> None:
    world.publish(world.home, district())
    world.clock.now += timedelta(hours=1)
    files = renamed(b"Renamed")
    files["students.csv"] = b"".join(
        line for line in files["students.csv"].splitlines(keepends=True) if b"913113920" not in line
    )
    files["enrollments.csv"] = b"".join(
        line
        for line in files["enrollments.csv"].splitlines(keepends=True)
        if b"913113920" not in line
    )
    world.publish(world.home, files)
    reader = world.app()
    delta = ok(reader, "/users", filter="dateLastModified>'2026-11-28T09:30:00Z'")["users"]
    by_id = {u["sourcedId"]: u for u in delta}
    assert by_id["student-913113920"]["status"] == "tobedeleted"
    assert by_id["student-913113920"]["dateLastModified"] == "2026-11-28T10:00:00.000Z"
    assert by_id["student-738733110"]["familyName"] == "Renamed"
    plain = {u["sourcedId"] for u in ok(reader, "/users", limit=100)["users"]}
    assert "student-913113920" not in plain  # lists show active objects
    assert ok(reader, "/users/student-913113920")["user"]["status"] == "tobedeleted"


def test_sort_fields_and_filters(world: World) -> None:
    world.publish(world.home, district())
    http = world.app()
    names = [u["familyName"] for u in ok(http, "/users", sort="familyName")["users"]]
    assert names == sorted(names)
    down = [u["familyName"] for u in ok(http, "/users", sort="familyName", orderBy="desc")["users"]]
    assert down == sorted(down, reverse=True)
    only = ok(http, "/students", fields="sourcedId,givenName")["users"]
    assert all(set(u) == {"sourcedId", "givenName"} for u in only)
    both = ok(http, "/users", filter="role='teacher' OR familyName~'SCHMEL'")["users"]
    assert {u["role"] for u in both} == {"teacher", "student"}
    assert all(u["role"] == "teacher" or "schmel" in u["familyName"].lower() for u in both)
    either = ok(http, "/users", filter="role='student' AND familyName!='Schmeler'")["users"]
    assert either
    assert all(u["familyName"] != "Schmeler" for u in either)
    for params, status, code in (
        ({"filter": "nosuch='x'"}, 400, "invalid_filter_field"),
        ({"filter": "role = teacher"}, 400, "invalid_filter_field"),
        ({"filter": "a='1' AND b='2' AND c='3'"}, 400, "invalid_filter_field"),
        ({"sort": "nosuch"}, 400, "invalid_sort_field"),
        ({"fields": "sourcedId,nosuch"}, 400, "invalid_selection_field"),
    ):
        answer = get(http, "/users", **params)
        assert answer.status_code == status, params
        assert code_of(answer) == code, params
    big = get(http, "/users", limit=50_000)  # capped, not refused
    assert big.status_code == 200
    assert "limit=10000" in big.headers["Link"]


def test_errors_scopes_and_other_organizations(world: World) -> None:
    world.publish(world.home, district())
    anonymous = world.client.get(BASE + "/users")
    assert anonymous.status_code == 401
    assert code_of(anonymous) == "unauthorisedrequest"
    bad = world.client.get(BASE + "/users", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    core = world.app()
    assert get(core, "/users/nobody").status_code == 404
    assert code_of(get(core, "/users/nobody")) == "unknownobject"
    assert get(core, "/classes/nosuch/students").status_code == 404
    assert get(core, "/demographics").status_code == 403
    full = world.app(scopes=[api_apps.FULL])
    assert ok(full, "/demographics")["demographics"]
    demo = world.app(scopes=[api_apps.DEMOGRAPHICS])
    assert ok(demo, "/demographics/student-738733110")["demographics"]["sex"]
    assert get(demo, "/users").status_code == 403
    stranger = world.app(world.other, scopes=[api_apps.FULL])  # another district's app
    assert ok(stranger, "/users")["users"] == []
    assert get(stranger, "/users/student-738733110").status_code == 404
    assert get(stranger, "/schools/02M800/classes").status_code == 404


def test_a_school_subset_sees_only_its_schools(world: World) -> None:
    world.publish(world.home, district())
    scoped = world.app(schools=["13K123"])
    orgs = {o["sourcedId"] for o in ok(scoped, "/orgs")["orgs"]}
    assert orgs == {"district-springfield", "13K123"}
    users = ok(scoped, "/users")["users"]
    assert users
    assert all(any(r.endswith("/13K123") for r in u["orgs"]) for u in users)
    assert get(scoped, "/schools/02M800").status_code == 404
    assert all(c["school"]["sourcedId"] == "13K123" for c in ok(scoped, "/classes")["classes"])


def test_token_endpoint(world: World) -> None:
    made, secret = api_apps.create(world.hub, world.home, "t")
    wrong = world.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(made.client_id, "x")
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    grant = world.client.post(
        "/oauth/token", data={"grant_type": "password"}, auth=(made.client_id, secret)
    )
    assert grant.json()["error"] == "unsupported_grant_type"
    scope = world.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": api_apps.FULL},
        auth=(made.client_id, secret),
    )
    assert scope.json()["error"] == "invalid_scope"
    good = world.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(made.client_id, secret)
    )
    body = good.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == api_apps.CORE
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert world.client.get(BASE + "/orgs", headers=headers).status_code == 200
    world.clock.now += timedelta(hours=1, seconds=1)  # expired
    assert world.client.get(BASE + "/orgs", headers=headers).status_code == 401
    world.clock.now -= timedelta(hours=1)
    api_apps.revoke(world.hub, world.home, made.client_id)
    assert world.client.get(BASE + "/orgs", headers=headers).status_code == 401


def test_an_unknown_endpoint_answers_the_bindings_error_shape(world: World) -> None:
    answer = world.client.get(BASE + "/nosuch")
    assert answer.status_code == 404
    assert code_of(answer) == "unknownobject"


def signed(
    world: World, url: str, key: str, secret: str, method: str, *, skew: int = 0
) -> httpx.Response:
    from oauthlib.oauth1 import Client

    timestamp = str(int(world.clock().timestamp()) + skew)
    signer = Client(key, client_secret=secret, signature_method=method, timestamp=timestamp)
    uri, headers, _ = signer.sign(url, "GET")
    return world.client.get(uri, headers=headers)


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SHA1"])
def test_oauth1_signed_requests(world: World, method: str) -> None:
    from oauthlib.oauth1 import Client

    world.publish(world.home, district())
    made, secret = api_apps.create(world.hub, world.home, "lti")
    url = BASE + "/users?limit=5&filter=role%3D%27teacher%27"
    answer = signed(world, url, made.client_id, secret, method)
    assert answer.status_code == 200, answer.text
    assert {u["role"] for u in answer.json()["users"]} == {"teacher"}
    # the same nonce and timestamp again: a replay
    signer = Client(
        made.client_id,
        client_secret=secret,
        signature_method=method,
        timestamp=str(int(world.clock().timestamp())),
        nonce="a-nonce-used-twice",
    )
    uri, headers, _ = signer.sign(url, "GET")
    assert world.client.get(uri, headers=headers).status_code == 200
    assert world.client.get(uri, headers=headers).status_code == 401
    assert signed(world, url, made.client_id, secret, method, skew=-11 * 60).status_code == 401
    assert signed(world, url, made.client_id, secret, method, skew=9 * 60).status_code == 200
    assert signed(world, url, made.client_id, "wrong", method).status_code == 401
    assert signed(world, url, "nosuchclient", secret, method).status_code == 401
    demographics = signed(world, BASE + "/demographics", made.client_id, secret, method)
    assert demographics.status_code == 403  # core scope only
    api_apps.revoke(world.hub, world.home, made.client_id)
    assert signed(world, url, made.client_id, secret, method).status_code == 401


def test_apps_through_the_rest_api(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", sftp_port=0)
    hub = build_hub(settings)
    from rosterport.services import accounts
    from rosterport.web.app import create_app

    org = create_org(hub, "springfield", "Springfield USD")
    owner = accounts.create_account(hub, "a@springfield.example", "correct horse battery", org=org)
    headers = {"Authorization": f"Bearer {accounts.create_token(hub, org, owner, 't')}"}
    with TestClient(create_app(hub, settings, worker=False), base_url="http://testserver") as c:
        made = c.post(
            "/api/v1/orgs/springfield/apps",
            json={"name": "Moodle", "scopes": ["roster.readonly"], "schools": ["s1"]},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["scopes"] == [api_apps.FULL]
        assert body["schools"] == ["s1"]
        listed = c.get("/api/v1/orgs/springfield/apps", headers=headers).json()["apps"]
        assert [a["client_id"] for a in listed] == [body["client_id"]]
        assert "client_secret" not in listed[0]
        token = c.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(body["client_id"], body["client_secret"]),
        )
        assert token.status_code == 200
        revoked = c.post(
            f"/api/v1/orgs/springfield/apps/{body['client_id']}/revoke", headers=headers
        )
        assert revoked.status_code == 200
        again = c.post(f"/api/v1/orgs/springfield/apps/{body['client_id']}/revoke", headers=headers)
        assert again.status_code == 404
    hub.engine.dispose()


def test_rate_limited_requests_answer_429_with_retry_after(world: World) -> None:
    app: Any = world.client.app  # the FastAPI app (typed as any ASGI app)
    app.state.settings = app.state.settings.model_copy(update={"api_rate_per_minute": 2})
    http = world.app()
    assert get(http, "/orgs").status_code == 200
    assert get(http, "/orgs").status_code == 200
    limited = get(http, "/orgs")
    assert limited.status_code == 429
    assert code_of(limited) == "rate_limited"
    assert int(limited.headers["Retry-After"]) == 60  # the test clock is on a whole minute
