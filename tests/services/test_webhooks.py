"""Webhook deliveries against a real receiver on loopback (both databases): every signature
verified by the `standardwebhooks` library; 500, 429 with Retry-After, a slow answer and a
reset connection retried with back-off until a 200; 410 disables; giving up after about
three days; secret rotation signing with both secrets for 24 hours; loopback targets refused
unless allowed; the ledger checked against what the receiver got."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from functools import partial

import pytest

from rosterport.errors import InputError
from rosterport.jobs.worker import Worker
from rosterport.services import api_apps, ledger, webhook_endpoints, webhooks
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import ledger as ledger_store
from tests.conftest import Clock, district
from tests.services.receiver import Receiver, receiver
from tests.services.test_propagation import commit, renamed
from tests.services.test_roster_propagation import org, rhub, run

__all__ = ["org", "rhub"]  # fixtures


@pytest.fixture
def whub(rhub: Hub) -> Hub:
    """Webhooks may reach loopback (the receiver), with a short timeout."""
    return dataclasses.replace(rhub, webhook_allow_private=True, webhook_timeout=0.5)


@pytest.fixture
def hook(clock: Clock) -> Iterator[Receiver]:
    with receiver(clock) as r:
        yield r


def registered(hub: Hub, org: Organization, r: Receiver, types: list[str] | None = None) -> int:
    app, _ = api_apps.create(hub, org, "Moodle")
    endpoint, secret = webhook_endpoints.add(hub, org, app.client_id, r.url, types)
    assert secret.startswith("whsec_")
    r.secrets.append(secret)
    return endpoint.id


def deliver_due(hub: Hub) -> int:
    worker = Worker(hub.engine, {webhooks.DELIVER: partial(webhooks.deliver, hub)}, clock=hub.clock)
    return worker.drain()


def row(hub: Hub, version_id: int, endpoint_id: int) -> ledger_store.LedgerRow:
    with hub.engine.connect() as conn:
        found = ledger_store.one(conn, version_id, webhooks.consumer(endpoint_id))
    assert found is not None
    return found


def test_failures_are_retried_with_back_off_until_delivered(
    whub: Hub, org: Organization, clock: Clock, hook: Receiver
) -> None:
    endpoint = registered(whub, org, hook)
    hook.plan = ["500", ("429", 120), "slow", "reset", "200"]
    version = commit(whub, org, district())
    run(whub, version)
    assert deliver_due(whub) == 1  # the first attempt: 500
    first = row(whub, version, endpoint)
    assert (first.state, first.attempts, first.last_status_code) == ("retrying", 1, 500)
    assert first.next_try_at is not None
    wait = first.next_try_at - clock.now
    assert timedelta(seconds=48) <= wait <= timedelta(seconds=72)  # 1 min ± 20 %
    assert deliver_due(whub) == 0  # not due yet

    clock.now = first.next_try_at
    assert deliver_due(whub) == 1  # 429, Retry-After 120 s: exactly that
    second = row(whub, version, endpoint)
    assert second.last_status_code == 429
    assert second.next_try_at == clock.now + timedelta(seconds=120)

    for expected in ("no answer within", "connection failed"):  # slow, then reset
        after = row(whub, version, endpoint).next_try_at
        assert after is not None
        clock.now = after
        assert deliver_due(whub) == 1
        assert expected in (row(whub, version, endpoint).last_error or "")

    after = row(whub, version, endpoint).next_try_at
    assert after is not None
    clock.now = after
    assert deliver_due(whub) == 1
    done = row(whub, version, endpoint)
    assert (done.state, done.attempts, done.last_status_code, done.next_try_at) == (
        "delivered",
        5,
        200,
        None,
    )
    assert len(hook.received) == 5
    assert all(r.verified_with == hook.secrets for r in hook.received)
    assert len({r.headers["webhook-id"] for r in hook.received}) == 1  # the same message
    (payload,) = {r.body for r in hook.received}
    body = hook.payloads()[0]
    assert body["type"] == "roster.version.committed"
    assert body["data"]["version"] == version
    assert body["data"]["organization"] == "springfield"
    assert set(body["data"]["events"]) == {"after", "until"}
    assert payload


def test_a_410_disables_the_endpoint_until_redelivered(
    whub: Hub, org: Organization, clock: Clock, hook: Receiver
) -> None:
    endpoint = registered(whub, org, hook)
    hook.plan = ["410"]
    first = commit(whub, org, district())
    run(whub, first)
    deliver_due(whub)
    assert row(whub, first, endpoint).state == "disabled"
    clock.now += timedelta(hours=1)
    second = commit(whub, org, renamed(b"Renamed"))
    run(whub, second)
    deliver_due(whub)
    assert len(hook.received) == 1  # nothing goes to a disabled endpoint
    entries = ledger.entries(whub, org, first)
    assert [e.redeliverable for e in entries if e.endpoint_id] == [True]
    assert ledger.redeliver(whub, org, first) == [endpoint]
    deliver_due(whub)
    assert row(whub, first, endpoint).state == "delivered"
    assert len(hook.received) == 2
    assert hook.received[0].body == hook.received[1].body  # the same payload again


def test_deliveries_give_up_after_about_three_days(
    whub: Hub, org: Organization, clock: Clock, hook: Receiver
) -> None:
    endpoint = registered(whub, org, hook)
    hook.plan = ["503"] * webhooks.MAX_ATTEMPTS
    version = commit(whub, org, district())
    run(whub, version)
    start = clock.now
    while deliver_due(whub):
        after = row(whub, version, endpoint).next_try_at
        if after is None:
            break
        clock.now = after
    gave_up = row(whub, version, endpoint)
    assert (gave_up.state, gave_up.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    assert len(hook.received) == webhooks.MAX_ATTEMPTS
    assert timedelta(days=2) < clock.now - start < timedelta(days=4)


def test_an_endpoint_gets_only_versions_with_its_event_types(
    whub: Hub, org: Organization, clock: Clock, hook: Receiver
) -> None:
    endpoint = registered(whub, org, hook, types=["users.deleted"])
    run(whub, commit(whub, org, district()))  # roster.loaded only
    clock.now += timedelta(hours=1)
    renamed_version = commit(whub, org, renamed(b"Renamed"))  # users.updated only
    run(whub, renamed_version)
    deliver_due(whub)
    assert hook.received == []
    assert [e.consumer for e in ledger.entries(whub, org, renamed_version)] == [
        "directory",
        "read-model",
        "roster-store",
    ]
    assert endpoint


def test_rotation_signs_with_both_secrets_for_24_hours(
    whub: Hub, org: Organization, clock: Clock, hook: Receiver
) -> None:
    app, _ = api_apps.create(whub, org, "Moodle")
    made, old = webhook_endpoints.add(whub, org, app.client_id, hook.url)
    _, new = webhook_endpoints.rotate(whub, org, app.client_id, made.id)
    hook.secrets.extend([old, new])
    run(whub, commit(whub, org, district()))
    deliver_due(whub)
    assert hook.received[0].verified_with == [old, new]
    assert len(hook.received[0].headers["webhook-signature"].split(" ")) == 2
    clock.now += timedelta(hours=25)
    run(whub, commit(whub, org, renamed(b"Renamed")))
    deliver_due(whub)
    assert hook.received[1].verified_with == [new]
    per_app = ledger.of_app(whub, org, app.client_id)  # the application's own ledger
    assert [(d["state"], d["attempts"], d["last_status_code"]) for d in per_app] == [
        ("delivered", 1, 200)
    ] * 2
    assert per_app[0]["version"] > per_app[1]["version"]


def test_loopback_and_private_targets_are_refused_unless_allowed(
    rhub: Hub, whub: Hub, org: Organization, hook: Receiver
) -> None:
    app, _ = api_apps.create(rhub, org, "Moodle")
    for url in (hook.url, "http://10.0.0.8/x", "http://169.254.169.254/latest", "http://[::1]/"):
        with pytest.raises(InputError, match="loopback, private or link-local"):
            webhook_endpoints.add(rhub, org, app.client_id, url)
    with pytest.raises(InputError, match="http"):
        webhook_endpoints.add(rhub, org, app.client_id, "file:///etc/passwd")
    with pytest.raises(InputError, match="loopback"):  # a name is resolved and checked too
        webhook_endpoints.check_url("http://localhost:9/x", allow_private=False, resolve=True)
    made, secret = webhook_endpoints.add(
        whub, org, app.client_id, hook.url
    )  # allowed by the operator
    hook.secrets.append(secret)
    version = commit(rhub, org, district())
    run(rhub, version)
    deliver_due(rhub)  # delivered by an instance that does not allow it: refused, not sent
    refused = row(rhub, version, made.id)
    assert refused.state == "refused"
    assert "loopback" in (refused.last_error or "")
    assert hook.received == []


def test_retry_delays_grow_with_jitter_and_honour_retry_after() -> None:
    for attempt in range(1, webhooks.MAX_ATTEMPTS):
        base = min(60 * 3 ** (attempt - 1), 36_000)
        delay = webhooks.retry_delay(attempt).total_seconds()
        assert 0.8 * base <= delay <= 1.2 * base
    assert webhooks.retry_delay(3, retry_after=30.0) == timedelta(seconds=30)
    assert webhooks.retry_delay(3, retry_after=10**9) == timedelta(days=1)
