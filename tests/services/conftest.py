"""A Hub on each database (the `engine` fixture of tests/conftest.py) with blobs in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from rosterport.blobs import LocalBlobStore
from rosterport.crypto import SecretBox
from rosterport.services.hosted_accounts import add_hosted_account
from rosterport.services.hub import Hub
from rosterport.services.integrations import Integration
from rosterport.services.organizations import Organization, create_org
from rosterport.sftp.remote import SftpServers
from rosterport.snapshots import SnapshotStore
from tests.conftest import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(engine: sa.Engine, tmp_path: Path, clock: Clock) -> Iterator[Hub]:
    blobs = LocalBlobStore(tmp_path / "blobs")
    box = SecretBox(os.urandom(32))
    return Hub(engine, blobs, SnapshotStore(blobs, box), clock=clock, remote=SftpServers())


@pytest.fixture
def org(hub: Hub) -> Organization:
    return create_org(hub, "springfield", "Springfield USD")


@pytest.fixture
def account(hub: Hub, org: Organization) -> Integration:
    """A hosted SFTP account of `org` (tests of integrations and of their deliveries)."""
    return add_hosted_account(hub, org, login="springfield-sis", password="nightly-export-1")
