"""The events feed over HTTP with an application's OAuth 2.0 credentials: the first load's
marker, a change's events, paging, types, another organization's application refused, an
expired cursor's 410 with a current cursor; the ledger and webhook routes; and the promise of
the feed — a consumer that reads the REST API once and then replays the feed from its cursor
holds exactly the roster the REST API serves (a property test over random versions)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rosterport.domain import events as domain_events
from rosterport.services import accounts, api_apps, events
from tests.conftest import district
from tests.web.test_oneroster import BASE, World, world

__all__ = ["world"]  # fixture
COLLECTIONS = domain_events.COLLECTIONS
FEED = "http://testserver/api/v1/orgs/springfield/events"


def admin_headers(w: World) -> dict[str, str]:
    account = accounts.create_account(
        w.hub, "admin@springfield.example", "correct horse b", org=w.home
    )
    return {"Authorization": f"Bearer {accounts.create_token(w.hub, w.home, account, 'tests')}"}


def read_feed(http: httpx.Client, after: str | None, limit: int = 1000) -> tuple[list[dict], str]:
    """Every event after the cursor (page by page) and the cursor to read on from."""
    found: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params["after"] = after
        answer = http.get(FEED, params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found += body["events"]
        after = body["next"]
        if not body["has_more"]:
            return found, body["next"]


def test_the_feed_with_an_applications_credentials(world: World) -> None:
    world.publish(world.home, district())
    app = world.app(scopes=["roster.readonly"])
    marker, cursor = read_feed(app, None)
    assert [e["type"] for e in marker] == ["roster.loaded"]
    world.clock.now += timedelta(minutes=30)
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"Schmeler", b"Renamed")
    version = world.publish(world.home, files)
    changed, _ = read_feed(app, cursor)
    assert [(e["type"], e["version"]) for e in changed] == [("users.updated", version)]
    served = app.get(f"{BASE}/users/{changed[0]['data']['sourcedId']}").json()["user"]
    assert changed[0]["data"] == served  # as the REST API serves it
    typed = app.get(FEED, params={"types": "users.deleted"}).json()
    assert typed["events"] == []
    assert app.get(FEED, params={"after": "nonsense"}).status_code == 400
    assert world.client.get(FEED).status_code == 401
    other = world.app(world.other)
    assert other.get(FEED).status_code == 404  # an application of another organization
    assert world.app(schools=["02M800"]).get(FEED).status_code == 403  # a school subset

    assert world.client.get(FEED, headers=admin_headers(world)).status_code == 200
    assert "/api/v1/orgs/{slug}/events" in world.client.get("/openapi.json").json()["paths"]


def test_an_expired_cursor_answers_410_with_a_current_cursor(world: World) -> None:
    world.publish(world.home, district())
    old = events.cursor(0)
    world.clock.now += timedelta(days=31)
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"Schmeler", b"Renamed")
    world.publish(world.home, files)
    events.purge(world.hub)
    app = world.app()
    gone = app.get(FEED, params={"after": old})
    assert gone.status_code == 410
    error = gone.json()["error"]
    assert "Re-read the roster from the OneRoster API" in error["message"]
    assert app.get(FEED, params={"after": error["current"]}).json()["events"] == []


def test_the_ledger_and_webhook_routes(world: World) -> None:
    headers = admin_headers(world)
    made, _ = api_apps.create(world.hub, world.home, "Moodle")
    base = f"/api/v1/orgs/springfield/apps/{made.client_id}/webhooks"
    refused = world.client.post(base, json={"url": "http://127.0.0.1:9/x"}, headers=headers)
    assert refused.status_code == 400
    assert "loopback" in refused.json()["error"]["message"]
    added = world.client.post(
        base, json={"url": "https://hooks.example/x", "types": ["users.updated"]}, headers=headers
    )
    assert added.status_code == 201, added.text
    assert added.json()["secret"].startswith("whsec_")
    listed = world.client.get(base, headers=headers).json()["webhooks"]
    assert [w["url"] for w in listed] == ["https://hooks.example/x"]
    assert "secret" not in listed[0]
    version = world.publish(world.home, district())
    ledger = world.client.get(
        f"/api/v1/orgs/springfield/versions/{version}/deliveries", headers=headers
    ).json()["deliveries"]
    assert [(d["consumer"], d["state"]) for d in ledger] == [
        ("directory", "done"),
        ("read-model", "done"),
        ("roster-store", "done"),
    ]  # the first load has no users.updated: the endpoint is not sent this version
    per_app = world.client.get(
        f"/api/v1/orgs/springfield/apps/{made.client_id}/deliveries", headers=headers
    )
    assert per_app.json() == {"deliveries": []}
    redeliver = world.client.post(
        f"/api/v1/orgs/springfield/versions/{version}/deliveries/redeliver",
        json={"endpoint_id": listed[0]["id"]},
        headers=headers,
    )
    assert redeliver.status_code == 409  # nothing failed to redeliver
    gone = world.client.delete(f"{base}/{listed[0]['id']}", headers=headers)
    assert gone.status_code == 200
    assert world.client.get(base, headers=headers).json()["webhooks"] == []


# -- the property: REST once, then the feed, equals the REST API ---------------------------------


def rest_roster(http: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for collection in COLLECTIONS:
        answer = http.get(f"{BASE}/{collection}", params={"limit": 10_000})
        assert answer.status_code == 200, answer.text
        (objects,) = answer.json().values()
        out.update({(collection, o["sourcedId"]): o for o in objects})
    return out


def replay(copy: dict[tuple[str, str], dict[str, Any]], found: list[dict[str, Any]]) -> None:
    for event in found:
        collection, _, kind = event["type"].rpartition(".")
        if event["type"] == "roster.loaded":
            continue
        key = (collection, event["data"]["sourcedId"])
        if kind == "deleted":
            copy.pop(key, None)
        else:
            copy[key] = event["data"]


def students_of(files: dict[str, bytes]) -> list[str]:
    rows = csv.DictReader(io.StringIO(files["students.csv"].decode()))
    return [r["Student_id"] for r in rows]


def version_of(state: dict[str, str | None]) -> dict[str, bytes]:
    """The district with students renamed (a name) or removed (None)."""
    files = district()
    for name in ("students.csv", "enrollments.csv"):
        lines = files[name].decode().splitlines(keepends=True)
        kept = [lines[0]]
        for line in lines[1:]:
            student = next((s for s in state if f",{s}," in f",{line}"), None)
            if student is not None and state[student] is None:
                continue
            if student is not None and name == "students.csv" and state[student]:
                cells = line.split(",")
                cells[4] = str(state[student])
                kept.append(",".join(cells))
            else:
                kept.append(line)
        files[name] = "".join(kept).encode()
    return files


STEP = st.tuples(
    st.integers(min_value=0, max_value=4),
    st.one_of(st.none(), st.sampled_from(["Adams", "Baker", "Chen", "Diaz"]), st.just("")),
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # one world, many consumers
)
@given(before=st.lists(STEP, max_size=2), after=st.lists(STEP, min_size=1, max_size=3))
def test_rest_once_then_the_feed_rebuilds_the_roster_the_rest_api_serves(
    world: World, before: list[tuple[int, str | None]], after: list[tuple[int, str | None]]
) -> None:
    students = students_of(district())
    state: dict[str, str | None] = dict.fromkeys(students, "")
    if not hasattr(world, "files"):
        world.files = version_of(state)  # type: ignore[attr-defined]  # the world's production
        world.publish(world.home, world.files)  # type: ignore[attr-defined]  # see above
        world.reader = world.app(scopes=["roster.readonly"])  # type: ignore[attr-defined]  # one app

    def publish(steps: list[tuple[int, str | None]]) -> None:
        for index, name in steps:
            state[students[index]] = name
            if all(v is None for v in state.values()):
                state[students[index]] = ""  # a district keeps at least one student
            files = version_of(state)
            if files != world.files:  # type: ignore[attr-defined]  # an unchanged upload commits nothing
                world.clock.now += timedelta(minutes=1)  # within the token's hour
                world.publish(world.home, files)
                world.files = files  # type: ignore[attr-defined]  # see above

    http: httpx.Client = world.reader  # type: ignore[attr-defined]  # set above
    publish(before)
    cursor = http.get(FEED, params={"limit": 1}).json()  # the cursor first, then the REST read
    start = read_feed(http, None)[1] if cursor["events"] else None
    copy = rest_roster(http)
    publish(after)
    found, _ = read_feed(http, start, limit=3)
    replay(copy, found)
    assert copy == rest_roster(http)


def test_the_first_load_setting_is_kept_by_the_settings_api(world: World) -> None:
    headers = admin_headers(world)
    url = "http://testserver/api/v1/orgs/springfield/settings"
    body = world.client.get(url, headers=headers).json()
    assert body["events_on_first_load"] is False
    changed = {k: body[k] for k in ("mode", "default_threshold", "models", "filtered_threshold")}
    put = world.client.put(url, json={**changed, "events_on_first_load": True}, headers=headers)
    assert put.status_code == 200, put.text
    world.publish(world.home, district())
    found, _ = read_feed(world.app(scopes=["roster.readonly"]), None)
    assert {e["type"].rpartition(".")[2] for e in found} == {"created"}
    assert "demographics.created" in {e["type"] for e in found}
    core, _ = read_feed(world.app(), None)  # the core scope: no demographics
    assert {e["type"] for e in core} == {e["type"] for e in found} - {"demographics.created"}
