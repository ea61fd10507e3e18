"""Failed-sign-in limits (services/sign_in_limits.py) and the hosted account's sign-in."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from rosterport.services import hosted_accounts
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.services.sign_in_limits import give_back, take_place
from rosterport.store.tables import login_failures
from tests.conftest import Clock

PASSWORD = "nightly-export-1"


def test_concurrent_attempts_cannot_all_pass_the_limit(hub: Hub) -> None:
    limit, attempts = 3, 16
    start = threading.Barrier(attempts)
    places = []

    def attempt() -> None:
        start.wait()
        places.append(take_place(hub, "sftp:sis", "sftp:10.0.0.1", limit=limit))

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    allowed = [p for p in places if not p.refused]
    assert len(allowed) <= limit  # each allowed attempt would check a password
    with hub.engine.connect() as conn:
        kept = conn.execute(sa.select(sa.func.count()).select_from(login_failures)).scalar()
    assert kept == len(allowed)  # the refused gave their place back


def test_a_right_password_gives_its_place_back(hub: Hub) -> None:
    for _ in range(5):
        give_back(hub, take_place(hub, "sftp:sis", "sftp:10.0.0.1", limit=2))
    assert not take_place(hub, "sftp:sis", "sftp:10.0.0.1", limit=2).refused


def test_hosted_sign_in_locks_out_the_user_name_and_the_address(
    hub: Hub, org: Organization, clock: Clock
) -> None:
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", password=PASSWORD)
    hosted_accounts.add_hosted_account(hub, org, login="other-sis", password=PASSWORD)

    def sign_in(login: str, password: str, address: str) -> hosted_accounts.HostedSignIn:
        return hosted_accounts.sign_in_hosted(hub, login, password, address=address, limit=3)

    assert sign_in("springfield-sis", PASSWORD, "10.0.0.1").signed_in
    for n in range(1, 4):
        wrong = sign_in("springfield-sis", f"guess-{n}", "10.0.0.1")
        assert (wrong.signed_in, wrong.locked_out, wrong.failures) == (False, False, n)
    locked = sign_in("springfield-sis", PASSWORD, "10.0.0.1")
    assert (locked.signed_in, locked.locked_out, locked.failures) == (False, True, 3)
    assert sign_in("springfield-sis", PASSWORD, "10.0.0.2").locked_out  # the user name
    assert sign_in("other-sis", PASSWORD, "10.0.0.1").locked_out  # the address
    assert sign_in("other-sis", PASSWORD, "10.0.0.2").signed_in
    clock.now += timedelta(minutes=16)
    assert sign_in("springfield-sis", PASSWORD, "10.0.0.1").signed_in


def test_sftp_failures_do_not_lock_the_web_sign_in(hub: Hub, org: Organization) -> None:
    from rosterport.services import accounts

    accounts.create_account(hub, "admin@springfield.example", PASSWORD, org=org)
    for n in range(5):
        hosted_accounts.sign_in_hosted(
            hub, "springfield-sis", f"guess-{n}", address="10.0.0.1", limit=3
        )
    assert accounts.sign_in(
        hub, "admin@springfield.example", PASSWORD, address="10.0.0.1", limit=3, hours=1
    )


def test_unknown_accounts_and_accounts_without_a_password_are_refused(
    hub: Hub, org: Organization
) -> None:
    hosted_accounts.add_hosted_account(hub, org, login="keys-only", public_keys=_public_key())
    assert not hosted_accounts.check_password(hub, "keys-only", PASSWORD)
    assert not hosted_accounts.check_password(hub, "nobody", PASSWORD)
    assert not hosted_accounts.check_password(hub, "nobody", "")


def _public_key() -> str:
    import asyncssh

    return asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
