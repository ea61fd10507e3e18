"""The password vault (both databases): SSO uploads resolve against the accounts directory
and the vault applications; a committed passport-sso version fills the vault, sealed; the
launch connector reads one credential with the vault.read scope, every read audited."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from rosterport.csvio.sources import SourceFile
from rosterport.domain.version_status import PENDING
from rosterport.errors import InputError, NotFoundError
from rosterport.services import (
    api_apps,
    propagation,
    upload_commit,
    upload_validation,
    uploads,
    vault,
)
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org, update_settings
from rosterport.store.tables import vault_credentials
from tests.conftest import csv_text, district, issues
from tests.services.test_propagation import claimed, commit

PASSWORD = "Kn0wn-Secret-Pa55"
HEADER = "School_id,User_id,Username,Application_id,Application_username,Application_password"


@pytest.fixture
def org(hub: Hub) -> Organization:
    made = create_org(hub, "springfield", "Springfield USD")
    made = update_settings(hub, made, dataclasses.replace(made.settings, default_threshold=1.0))
    propagation.propagate(hub, claimed(hub, commit(hub, made, district())))
    vault.create_app(hub, made, "moodle", "Moodle", "https://moodle.example.org/login")
    return made


def upload_sso(hub: Hub, org: Organization, data: bytes) -> tuple[str, object]:
    session = uploads.start(hub, org, "passport-sso")
    uploads.add_files(hub, org, session.id, [SourceFile.of("app_credentials.csv", data)])
    _, report = upload_validation.run_validation(
        hub, org, session.id, committed_by="a@x.org", source="api"
    )
    return session.id, report


def commit_sso(hub: Hub, org: Organization, data: bytes) -> int:
    session_id, _ = upload_sso(hub, org, data)
    version, status, _ = upload_commit.commit(
        hub, org, session_id, committed_by="a@x.org", source="api"
    )
    assert status == PENDING
    propagation.propagate(hub, claimed(hub, version))
    return version


def test_an_upload_resolves_every_row_against_production(hub: Hub, org: Organization) -> None:
    data = csv_text(
        HEADER,
        f",738733110,,moodle,diane,{PASSWORD}",  # found by SIS id
        ",,marthag20,moodle,martha,pw2",  # found by username
        ",404,,moodle,ghost,pw3",  # no such account
        "13K123,738733110,,moodle,diane,pw4",  # not in that school
        ",738733110,,canvas,diane,pw5",  # no such application
        ",738733110,,moodle,diane,pw6",  # the same account and application again
    )
    _, report = upload_sso(hub, org, data)
    assert issues(report) == [  # type: ignore[arg-type]  # the report of run_validation
        ("app_credentials.csv", 4, "User_id", "reference-not-found"),
        ("app_credentials.csv", 5, "User_id", "reference-not-found"),
        ("app_credentials.csv", 6, "Application_id", "reference-not-found"),
        ("app_credentials.csv", 7, "Application_id", "uniqueness-violation"),
    ]


def test_a_committed_version_fills_the_vault_sealed_and_the_connector_reads_it(
    hub: Hub, org: Organization
) -> None:
    commit_sso(hub, org, csv_text(HEADER, f",738733110,,moodle,diane,{PASSWORD}"))
    with hub.engine.connect() as conn:
        (sealed,) = conn.execute(sa.select(vault_credentials.c.sealed)).scalars().all()
    assert PASSWORD.encode() not in sealed
    app, _ = api_apps.create(hub, org, "Moodle connector", ["vault.read:moodle"])
    caller = api_apps.AppCaller(org.id, app.client_id, app.scopes, None, app.id)
    got = vault.read_for_connector(hub, caller, "moodle", "738733110", "127.0.0.1")
    assert (got.username, got.password) == ("diane", PASSWORD)
    with pytest.raises(NotFoundError):
        vault.read_for_connector(hub, caller, "moodle", "913113920", "127.0.0.1")
    other, _ = api_apps.create(hub, org, "Roster reader", ["roster-core.readonly"])
    refused = api_apps.AppCaller(org.id, other.client_id, other.scopes, None, other.id)
    with pytest.raises(vault.ScopeError):
        vault.read_for_connector(hub, refused, "moodle", "738733110", "127.0.0.9")
    total, reads = vault.reads(hub, org, account_id=None, offset=0, limit=10)
    assert total == 3
    assert [r.outcome for r in reads] == ["refused", "not-found", "read"]


def test_admins_replace_and_clear_and_a_new_version_replaces_its_own(
    hub: Hub, org: Organization
) -> None:
    commit_sso(hub, org, csv_text(HEADER, f",738733110,,moodle,diane,{PASSWORD}"))
    vault.set_credential(hub, org, "913113920", "moodle", vault.Credential("martha", "pw"))
    account = vault.credentials_set(hub, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert sorted(s.set_by for sets in account.values() for s in sets) == ["admin", "upload"]
    commit_sso(hub, org, csv_text(HEADER, ",,marthag20,moodle,martha,pw-new"))
    app, _ = api_apps.create(hub, org, "Moodle connector", ["vault.read"])
    caller = api_apps.AppCaller(org.id, app.client_id, app.scopes, None, app.id)
    assert vault.read_for_connector(hub, caller, "moodle", "913113920", None).password == "pw-new"
    with pytest.raises(NotFoundError):  # the upload's credential left with the version
        vault.read_for_connector(hub, caller, "moodle", "738733110", None)
    vault.clear_credential(hub, org, "913113920", "moodle")
    with pytest.raises(NotFoundError):
        vault.clear_credential(hub, org, "913113920", "moodle")
    with pytest.raises(InputError):
        vault.create_app(hub, org, "moodle", "Again")
