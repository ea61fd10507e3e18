"""The SFTP app's setup steps (Schools Mapping, Attributes Mapping, Data Requirements,
Finish Configuration) and their effect on a delivery, on both databases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rosterport.domain.mappings import CREATE
from rosterport.domain.version_status import HELD, IN_PRODUCTION, PENDING
from rosterport.errors import InputError
from rosterport.services import deliveries, hosted_accounts
from rosterport.services import integration_setup as setup
from rosterport.services import integrations as ints
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, update_settings
from tests.conftest import district
from tests.services.test_deliveries import files_of, settle

SOURCE_SCHOOLS = (
    b"School_id,School_name\n"
    b"02M800,City High\n"  # same id as production
    b"SIS-13,pineapple  elementary school\n"  # same name, other id
    b"SIS-77,Brand New Academy\n"  # created
)


def _in_production(hub: Hub, org: Organization) -> None:
    account = hosted_accounts.add_hosted_account(
        hub, org, login="first-load", password="first-load-pw"
    )
    result = deliveries.process_delivery(hub, account, files_of(district()))
    assert result.status == PENDING


def test_setup_steps_then_a_mapped_delivery(hub: Hub, org: Organization) -> None:
    _in_production(hub, org)
    account = hosted_accounts.add_hosted_account(
        hub,
        org,
        login="springfield-sis",
        password="nightly-export-1",
        settings=ints.IntegrationSettings(configured=False),
    )
    account = setup.load_source_schools(hub, org, account, "schools.csv", SOURCE_SCHOOLS)
    assert {r.source.id: r.target for r in setup.school_rows(account)} == {
        "02M800": "02M800",
        "SIS-13": "13K123",
        "SIS-77": CREATE,
    }
    with pytest.raises(InputError, match="not a school of"):
        setup.save_schools(hub, org, account, {"SIS-77": "NOPE"})
    account = setup.save_attributes(
        hub, account, {"students.csv": {"StudentNumber": "Student_number"}}
    )
    assert account.settings.columns == {"students.csv": {"StudentNumber": "Student_number"}}
    with pytest.raises(InputError, match="not an attribute"):
        setup.save_attributes(hub, account, {"students.csv": {"x": "Nope"}})
    account = setup.save_requirements(hub, account, {"students.csv/Student_email": "skip"})
    with pytest.raises(InputError, match="not an optional attribute"):
        setup.save_requirements(hub, account, {"students.csv/Student_id": "skip"})
    account = setup.finish(hub, account)
    assert account.enabled
    assert account.settings.configured

    # the SIS delivers with its own school ids and column names; one student has no e-mail
    files = district()
    files["schools.csv"] = files["schools.csv"].replace(b"13K123", b"SIS-13")
    for name in ("students.csv", "teachers.csv", "sections.csv", "enrollments.csv"):
        files[name] = files[name].replace(b"13K123,", b"SIS-13,")
    files["students.csv"] = (
        files["students.csv"]
        .replace(b"Student_number", b"StudentNumber", 1)
        .replace(b"diane.s@example.org", b"")
    )
    # 1 of 5 students and 2 of 6 enrollments are filtered out: more than the default 10%
    # an unattended upload may filter, so this organization allows up to half
    update_settings(hub, org, replace(org.settings, filtered_threshold=0.5))
    result = deliveries.process_delivery(
        hub, account, files_of(files), settle=lambda version: settle(hub, version)
    )
    assert result.status == IN_PRODUCTION, result
    # the mapped school ids are production's; the student without an e-mail was skipped
    # (a filtered record stays in production as it was), nothing else changed
    assert result.changes["schools.csv"] == {"added": 0, "updated": 0, "removed": 0}
    assert result.changes["enrollments.csv"] == {"added": 0, "updated": 0, "removed": 0}
    report = (deliveries.report_csv(hub, result) or b"").decode("utf-8-sig")
    assert "Student_email,,required-attribute,warn" in report
    assert result.summary["warn"] == 3, report  # the student and its two enrollments


def test_unmapped_schools_are_reported_and_their_records_filtered(
    hub: Hub, org: Organization
) -> None:
    _in_production(hub, org)
    account = hosted_accounts.add_hosted_account(
        hub, org, login="partial-sis", password="nightly-export-1"
    )
    account = setup.save_schools(hub, org, account, {"02M800": "02M800"})  # 13K123 unmapped
    result = deliveries.process_delivery(hub, account, files_of(district()))
    assert result.status == HELD  # its records are filtered: too many removals in Full mode
    assert any("not in the Schools Mapping (13K123)" in n for n in result.notes), result.notes
