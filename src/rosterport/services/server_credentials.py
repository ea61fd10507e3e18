"""Credentials for signing in to a custom SFTP server (a pull's, an SFTP export's), sealed at
rest: one format for both, `{"password", "private_key"}` as JSON encrypted with the data key
(`SnapshotStore.box`). Nothing but the connection that signs in opens them again.
"""

from __future__ import annotations

import json

from rosterport.errors import InputError
from rosterport.remote import Credentials
from rosterport.services.hub import Hub


def seal(hub: Hub, credentials: Credentials, *, missing: str) -> bytes:
    """The credentials encrypted for storage; InputError(`missing`) when they hold neither a
    password nor a private key."""
    if not (credentials.password or credentials.private_key):
        raise InputError(missing)
    plain = {"password": credentials.password, "private_key": credentials.private_key}
    return hub.snapshots.box.encrypt(json.dumps(plain).encode())


def unseal(hub: Hub, sealed: bytes) -> Credentials:
    """The credentials `seal` encrypted."""
    plain = json.loads(hub.snapshots.box.decrypt(sealed))
    return Credentials(password=plain.get("password"), private_key=plain.get("private_key"))
