"""Encryption of secrets at rest (passwords in snapshots): AES-256-GCM with one data key.

The key comes from `ROSTERPORT_SECRET_KEY` (base64 of 32 bytes) or, by default, from
`<data dir>/secret.key`, generated on first use with permissions 0600. Losing the key makes
stored passwords unreadable; back it up with the database.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rosterport.errors import ConfigurationError
from rosterport.files import private_folder

_NONCE = 12


class SecretBox:
    """Encrypts and decrypts byte strings with AES-256-GCM (a random nonce per message)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ConfigurationError("the secret key must be 32 bytes (base64-encoded)")
        self._aead = AESGCM(key)

    def encrypt(self, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, data, None)

    def decrypt(self, data: bytes) -> bytes:
        return self._aead.decrypt(data[:_NONCE], data[_NONCE:], None)


def load_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured key, or the data dir's key file (created when missing)."""
    if configured:
        try:
            return base64.b64decode(configured, validate=True)
        except ValueError:
            raise ConfigurationError(
                "ROSTERPORT_SECRET_KEY is not base64; create one with "
                "`python -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())'`"
            ) from None
    path = data_dir / "secret.key"
    if not path.exists():
        private_folder(data_dir)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.b64encode(os.urandom(32)).decode())
    return base64.b64decode(path.read_text().strip())


def token_digest(secret: str) -> str:
    """What is stored of a high-entropy token or secret (sign-in sessions, API tokens,
    application secrets, password resets): its SHA-256, hex. Enough for random tokens of
    128 bits or more; never for passwords people choose (argon2id for those)."""
    return hashlib.sha256(secret.encode()).hexdigest()
