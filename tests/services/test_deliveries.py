"""Unattended deliveries (services/deliveries.py): a delivery's files validated and committed by
its integration, duplicates, refusals, safeguards, stale feeds and mail; on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa

from rosterport.bootstrap import build_worker
from rosterport.csvio.sources import SourceFile
from rosterport.domain.policy import Mode
from rosterport.domain.version_status import HELD, IN_PRODUCTION, PENDING, VALIDATION_ERRORS
from rosterport.services import deliveries, history
from rosterport.services import integrations as ints
from rosterport.services.hub import Hub
from rosterport.services.notifications import list_notifications, mark_read
from rosterport.services.organizations import Organization, update_settings
from rosterport.store.tables import versions
from tests.conftest import Clock, district


def files_of(data: dict[str, bytes]) -> list[SourceFile]:
    return [SourceFile.of(name, content) for name, content in data.items()]


def settle(hub: Hub, version: int) -> str:
    build_worker(hub, name="test").drain()
    with hub.engine.connect() as conn:
        return str(
            conn.execute(sa.select(versions.c.status).where(versions.c.id == version)).scalar_one()
        )


def test_a_valid_delivery_is_committed_by_the_integration(
    hub: Hub, org: Organization, account: ints.Integration
) -> None:
    result = deliveries.process_delivery(
        hub, account, files_of(district()), settle=lambda version: settle(hub, version)
    )
    assert result.status == IN_PRODUCTION
    assert result.changes["students.csv"]["added"] == 5
    with hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(versions.c.id, versions.c.committed_by, versions.c.source, versions.c.status)
        ).all()
    assert [tuple(r) for r in rows] == [
        (result.version, "sftp:springfield-sis", "sftp", IN_PRODUCTION)
    ]
    [notice] = list_notifications(hub, org)
    assert notice.kind == "sftp-delivery"
    assert f"committed as version {result.version}" in notice.message
    mark_read(hub, org, [notice.id])
    assert list_notifications(hub, org, unread=True) == []


def test_identical_content_is_not_processed_twice(
    hub: Hub, org: Organization, account: ints.Integration
) -> None:
    first = deliveries.process_delivery(hub, account, files_of(district()))
    again = deliveries.process_delivery(hub, account, list(reversed(files_of(district()))))
    assert again.status == deliveries.DUPLICATE
    assert again.version is None
    assert len(history.history(hub, org, "passport-roster")) == 1
    assert again.content_hash == first.content_hash


def test_an_invalid_delivery_is_kept_as_validation_errors(
    hub: Hub, org: Organization, account: ints.Integration
) -> None:
    result = deliveries.process_delivery(hub, account, files_of(district("student-bad-dob")))
    assert result.status == VALIDATION_ERRORS
    assert result.summary["error"] >= 1
    report = deliveries.report_csv(hub, result)
    assert report is not None
    assert b"invalid-format" in report
    [row] = history.history(hub, org, "passport-roster")
    assert (row.status, row.committed_by) == (VALIDATION_ERRORS, "sftp:springfield-sis")
    assert "failed validation" in list_notifications(hub, org)[0].message


def test_removals_past_a_safeguard_are_held(
    hub: Hub, org: Organization, account: ints.Integration
) -> None:
    deliveries.process_delivery(hub, account, files_of(district()))
    files = district()
    lines = files["students.csv"].splitlines(keepends=True)
    files["students.csv"] = b"".join(lines[:-1])  # one student of five: 20% > 10%
    result = deliveries.process_delivery(hub, account, files_of(files))
    assert result.status == HELD
    assert list_notifications(hub, org)[0].message.startswith("Held: this upload removes 1 of 5")
    # the integration's own safeguard lets it through (the organization allowing the
    # orphaned enrollment to be filtered: 1 of 6 is more than the default 10%)
    update_settings(hub, org, replace(org.settings, filtered_threshold=0.5))
    lenient = ints.update_integration(
        hub, account, settings=ints.IntegrationSettings(default_threshold=0.5)
    )
    files["students.csv"] = b"".join(lines[:-1]) + b"\n"  # new content, same records
    assert deliveries.process_delivery(hub, lenient, files_of(files)).status == PENDING


def test_a_delivery_for_a_model_not_enabled_is_refused(
    hub: Hub, org: Organization, account: ints.Integration
) -> None:
    sso = ints.update_integration(hub, account, model="passport-sso")
    from dataclasses import replace

    from rosterport.services.organizations import update_settings

    update_settings(hub, org, replace(org.settings, models=("passport-roster",)))
    result = deliveries.process_delivery(hub, sso, files_of(district()))
    assert result.status == deliveries.REFUSED
    assert "not enabled" in result.notes[0]
    assert history.history(hub, org) == []


def test_complete_file_sets() -> None:
    names = list(district())
    assert deliveries.complete("passport-roster", names, Mode.FULL)
    assert not deliveries.complete("passport-roster", names[1:], Mode.FULL)
    assert deliveries.complete("passport-roster", ["students.csv"], Mode.INCREMENTAL)
    assert deliveries.complete("passport-roster", [n.upper() for n in names], Mode.FULL)


def test_feeds_that_stop_arriving_are_flagged_once(
    hub: Hub, org: Organization, account: ints.Integration, clock: Clock
) -> None:
    deliveries.process_delivery(hub, account, files_of(district()))
    assert deliveries.flag_stale_feeds(hub, 3) == []
    clock.now += timedelta(days=3, minutes=1)
    [stale] = deliveries.flag_stale_feeds(hub, 3)
    assert stale.id == account.id
    assert stale.stale_since == clock.now
    assert [s.id for s in deliveries.flag_stale_feeds(hub, 3)] == [account.id]
    notices = [n for n in list_notifications(hub, org) if n.kind == "stale-feed"]
    assert len(notices) == 1
    assert "delivered no files since" in notices[0].message
    deliveries.process_delivery(hub, account, files_of(district("student-bad-dob")))
    assert deliveries.flag_stale_feeds(hub, 3) == []
    assert ints.integration_by_id(hub, account.id).stale_since is None


def test_mail_goes_to_the_integrations_addresses(hub: Hub, account: ints.Integration) -> None:
    sent: list[tuple[list[str], str, str]] = []

    class Recorder:
        def send(self, to: list[str], subject: str, body: str) -> None:
            sent.append((list(to), subject, body))

    noisy = ints.update_integration(
        hub, account, settings=ints.IntegrationSettings(notify=("it@springfield.example",))
    )
    deliveries.process_delivery(hub, noisy, files_of(district()), mailer=Recorder())
    [(to, subject, body)] = sent
    assert to == ["it@springfield.example"]
    assert subject.startswith("rosterport: SFTP delivery from sftp:springfield-sis")
    assert "committed as version" in body
