"""SFTP integrations (hosted accounts, pulls, settings), on both databases (the `hub` fixture);
the deliveries they bring are tests/services/test_deliveries.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from rosterport.domain.policy import Mode
from rosterport.errors import InputError
from rosterport.remote import Credentials
from rosterport.services import hosted_accounts
from rosterport.services import integrations as ints
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store.tables import integrations

PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKNRR5uC6ncJtiOSpdvHS5gF7SbldGFmudYRYzbXoc9P sis@district"
)


def test_hosted_accounts_sign_in_with_a_password_hash_or_keys(hub: Hub, org: Organization) -> None:
    account = hosted_accounts.add_hosted_account(
        hub, org, login="sis-one", password="long-enough-pw"
    )
    assert account.kind == ints.HOSTED
    assert account.committed_by == "sftp:sis-one"
    assert hosted_accounts.check_password(hub, "sis-one", "long-enough-pw")
    assert not hosted_accounts.check_password(hub, "sis-one", "wrong-password")
    assert not hosted_accounts.check_password(hub, "nobody", "long-enough-pw")
    with hub.engine.connect() as conn:
        stored = conn.execute(sa.select(integrations.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")

    keyed = hosted_accounts.add_hosted_account(hub, org, login="sis-two", public_keys=PUBLIC_KEY)
    assert hosted_accounts.authorized_keys(hub, keyed) == PUBLIC_KEY + "\n"
    assert hosted_accounts.hosted_account(hub, "sis-two") == keyed
    ints.update_integration(hub, keyed, enabled=False)
    assert hosted_accounts.hosted_account(hub, "sis-two") is None


@pytest.mark.parametrize(
    "case",
    [
        ("Bad Name", "long-enough-pw", None, "SFTP user name"),
        ("sis", "short", None, "too short"),
        ("sis", None, None, "password or a public key"),
        ("sis", None, "-----BEGIN OPENSSH PRIVATE KEY-----", "not an OpenSSH public key"),
    ],
)
def test_hosted_account_input_is_checked(
    hub: Hub, org: Organization, case: tuple[str, str | None, str | None, str]
) -> None:
    login, password, keys, message = case
    with pytest.raises(InputError, match=message):
        hosted_accounts.add_hosted_account(
            hub, org, login=login, password=password, public_keys=keys
        )


def test_user_names_are_unique(hub: Hub, org: Organization, account: ints.Integration) -> None:
    del account
    with pytest.raises(InputError, match="is taken"):
        hosted_accounts.add_hosted_account(
            hub, org, login="springfield-sis", password="another-pass-1"
        )


def test_pull_credentials_are_encrypted_at_rest(hub: Hub, org: Organization) -> None:
    pull = ints.add_pull(
        hub,
        org,
        name="district server",
        host="sftp.example.org",
        username="rosterport",
        credentials=Credentials(password="s3cret-password"),
    )
    with hub.engine.connect() as conn:
        sealed = conn.execute(sa.select(integrations.c.secret)).scalar_one()
    assert b"s3cret-password" not in sealed
    assert ints.pull_credentials(hub, pull) == Credentials(password="s3cret-password")
    assert pull.committed_by == "sftp:rosterport@sftp.example.org"
    ints.pin_host_key(hub, pull, PUBLIC_KEY)
    moved = ints.update_integration(hub, ints.integration_by_id(hub, pull.id), host="other.org")
    assert moved.host_key is None  # a new server is not trusted with the old key


def test_settings_are_checked(hub: Hub, org: Organization, account: ints.Integration) -> None:
    with pytest.raises(InputError, match="choose keep, move or delete"):
        ints.update_integration(hub, account, settings=ints.IntegrationSettings(after="shred"))
    with pytest.raises(InputError, match="between 0% and 100%"):
        ints.update_integration(
            hub, account, settings=ints.IntegrationSettings(default_threshold=2.0)
        )
    with pytest.raises(InputError, match="fixed"):
        ints.update_integration(
            hub,
            account,
            settings=ints.IntegrationSettings.from_json({"levels": {"missing-file": "warn"}}),
        )
    changed = ints.update_integration(
        hub,
        account,
        settings=ints.IntegrationSettings(mode=Mode.INCREMENTAL, pattern="*.csv"),
    )
    assert changed.settings.mode == Mode.INCREMENTAL
    assert ints.list_integrations(hub, org) == [changed]
