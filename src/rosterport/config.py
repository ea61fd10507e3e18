"""Settings: one typed object built from `ROSTERPORT_*` environment variables.

Every setting is documented in the README's configuration table (a test checks that).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from rosterport.errors import ConfigurationError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    blob_url: str | None = Field(
        default=None,
        description="where blobs (uploaded files, reports, snapshots) are kept: s3://bucket/prefix "
        "for an S3 bucket (credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, region from "
        "AWS_DEFAULT_REGION); default: files under <data dir>/blobs",
    )
    s3_endpoint: str | None = Field(
        default=None,
        description="address of an S3-compatible server (MinIO, Ceph…), e.g. http://minio:9000; "
        "default: AWS S3",
    )
    log_format: str = Field(
        default="text",
        description="text, or json for one JSON object per log line (time, level, logger, "
        "message, request_id, job_id, job_kind)",
    )
    session_hours: int = Field(
        default=24, description="hours after which an abandoned upload session expires"
    )
    host: str = Field(default="127.0.0.1", description="address `serve` listens on")
    port: int = Field(default=8000, description="port of the web UI and REST API")
    public_url: str | None = Field(
        default=None,
        description="the address people use to reach the web UI (default http://<host>:<port>)",
    )
    cookie_secure: bool = Field(
        default=False,
        description="send the sign-in cookie over HTTPS only (set it behind a TLS proxy)",
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated IP addresses or networks (CIDR) of reverse proxies whose "
        "X-Forwarded-For header gives the client's address; default: none (the header is "
        "ignored)",
    )
    login_hours: int = Field(default=12, description="hours a sign-in lasts")
    login_attempts: int = Field(
        default=5,
        description="failed sign-ins allowed per e-mail address or SFTP user name (and per client "
        "address) in 15 minutes before further attempts are refused",
    )
    max_upload_mb: int = Field(
        default=2048, description="largest file (or ZIP) accepted by the web UI and the API, MB"
    )
    sftp_port: int = Field(
        default=2222, description="port of the hosted SFTP server (0 turns it off)"
    )
    sftp_quiet_seconds: int = Field(
        default=60,
        description="a dropped file set is processed once no file changed for this long",
    )
    sftp_max_upload_mb: int = Field(
        default=2048, description="largest file an SFTP account may upload, MB"
    )
    sftp_quota_mb: int = Field(
        default=10240,
        description="most an SFTP account's folder may hold in all (files waiting, uploads in "
        "progress, results), MB",
    )
    sftp_poll_seconds: int = Field(
        default=10, description="how often the SFTP scheduler looks for work (drops, pulls)"
    )
    embedded_worker: bool = Field(
        default=True,
        description="`serve` runs the job queue itself (propagation, SFTP drops and pulls, "
        "webhooks…); set 0 when `rosterport worker` processes run the jobs (several servers)",
    )
    feed_stale_days: int = Field(
        default=3, description="an SFTP feed with no new files for this many days is flagged"
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for e-mail notifications (default: in-app only)"
    )
    smtp_port: int = Field(default=587, description="SMTP port (STARTTLS is used when offered)")
    smtp_user: str | None = Field(default=None, description="SMTP user name, if needed")
    smtp_password: str | None = Field(default=None, description="SMTP password, if needed")
    smtp_from: str = Field(
        default="rosterport@localhost", description="sender address of notification e-mails"
    )
    tombstone_days: int = Field(
        default=30,
        description="days a removed roster object stays in the OneRoster API as a tombstone "
        "(status tobedeleted), so delta readers see the deletion",
    )
    event_retention_days: int = Field(
        default=30,
        description="days change events stay in the events feed (an older cursor answers 410: "
        "re-read the roster from the OneRoster API)",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="deliver webhooks to loopback, private and link-local addresses too "
        "(refused by default: a webhook URL must not reach the instance's own network)",
    )
    webhook_timeout_seconds: float = Field(
        default=15.0, description="seconds a webhook receiver has to answer an attempt"
    )
    account_grace_days: int = Field(
        default=30,
        description="days an account absent from the roster source stays suspended before "
        "it is deleted (reappearing within them reactivates it)",
    )
    vault_reads_per_minute: int = Field(
        default=60,
        description="credential reads per minute allowed to each launch connector (API "
        "application) from the password vault; 0: no limit",
    )
    api_rate_per_minute: int = Field(
        default=0,
        description="OneRoster API requests allowed per application per minute (then 429 with "
        "Retry-After); 0: no limit (counting costs one write per request)",
    )
    require_postgres: bool = Field(
        default=False,
        description="tests only: fail (instead of skip) when PostgreSQL is unreachable",
    )

    require_browser: bool = Field(
        default=False,
        description="tests only: fail (instead of skip) when Chromium is not installed",
    )

    def proxy_networks(self) -> tuple[Network, ...]:
        """The trusted proxies as networks (a single address is a network of one)."""
        networks = []
        for part in self.trusted_proxies.split(","):
            text = part.strip()
            if not text:
                continue
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                raise ConfigurationError(
                    f"ROSTERPORT_TRUSTED_PROXIES: {text!r} is not an IP address or network; "
                    "give addresses like 10.0.0.5 or networks like 10.0.0.0/24, "
                    "separated by commas"
                ) from None
        return tuple(networks)

    def database(self) -> str:
        """The database URL to use."""
        return self.database_url or f"sqlite:///{self.data_dir / 'rosterport.db'}"
