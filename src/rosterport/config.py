"""Settings: one typed object built from `ROSTERPORT_*` environment variables.

Every setting is documented in the README's configuration table (a test checks that).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """rosterport's settings; the defaults run on one machine with no other service."""

    model_config = SettingsConfigDict(env_prefix="ROSTERPORT_", extra="ignore")

    data_dir: Path = Field(
        default=Path("rosterport-data"),
        description="where the SQLite database, blobs and the secret key live",
    )
    database_url: str | None = Field(
        default=None,
        description="metadata database; default sqlite:///<data dir>/rosterport.db, "
        "or postgresql+psycopg://user@host/db",
    )
    secret_key: str | None = Field(
        default=None,
        description="base64 key (32 bytes) that encrypts secrets at rest; default: generated "
        "once into <data dir>/secret.key",
    )
    session_hours: int = Field(
        default=24, description="hours after which an abandoned upload session expires"
    )
    require_postgres: bool = Field(
        default=False,
        description="tests only: fail (instead of skip) when PostgreSQL is unreachable",
    )

    def database(self) -> str:
        """The database URL to use."""
        return self.database_url or f"sqlite:///{self.data_dir / 'rosterport.db'}"
