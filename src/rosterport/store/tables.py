"""The metadata database's tables (SQLAlchemy Core).

The first migration (`migrations/versions/0001_initial.py`) creates exactly these, written
out in full so that later changes here come with a migration of their own;
`tests/store/test_migrations.py` checks that the migrated schema still equals this metadata.

Conventions:
- Every timestamp is a `UTCDateTime`: stored in UTC, read back timezone-aware in UTC on both
  databases (SQLite keeps no offset; PostgreSQL answers in the session's time zone). None
  has a Python-side default: every insert and update passes the time of the injected clock
  (`rosterport.clock`), so tests that move the clock move every stored time.
- JSON columns are JSONB on PostgreSQL. Those that default to `{}` do so on the server too, so
  bulk and raw-SQL inserts may leave them out.
- `datasets.current_version_id` has no foreign key to `versions`: versions point at datasets,
  and the pointer is only ever moved by compare-and-set in the commit transaction, so a
  second (cyclic) constraint would add ordering trouble and no safety.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


class UTCDateTime(sa.TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that always hands back aware UTC datetimes.

    Naive values are taken to be UTC already; aware ones are converted to UTC before they are
    stored (SQLite would otherwise keep their wall-clock time and drop the offset).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite stores text: drop the (now always UTC) offset so values compare as text
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: sa.Dialect,  # noqa: ARG002 - part of TypeDecorator's signature; same on both
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrement wants INTEGER
EMPTY_OBJECT = sa.text("'{}'")  # server default of JSON columns holding an object


def _json_object(name: str) -> sa.Column[Any]:
    """A not-null JSON column that defaults to `{}`."""
    return sa.Column(name, JSON, nullable=False, default=dict, server_default=EMPTY_OBJECT)


metadata = sa.MetaData()

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    _json_object("settings"),  # mode, levels, thresholds, enabled models (services' business)
    sa.Column("created_at", UTCDateTime, nullable=False),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    sa.Column("current_version_id", sa.Integer, nullable=True),  # no FK: see the module doc
    sa.Column("lock_token", sa.String(64), nullable=True),  # only one open commit per dataset
    sa.UniqueConstraint("org_id", "model", name="uq_datasets_org_model"),
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("committed_by", sa.String(255), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),  # cli, web, api, sftp
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("base_version_id", sa.Integer, nullable=True),
    sa.Column("restored_from", sa.Integer, nullable=True),
    sa.Column("snapshot", sa.String(255), nullable=True),  # blob prefix
    sa.Column("originals", sa.String(255), nullable=True),  # blob key
    sa.Column("report", sa.String(255), nullable=True),  # blob key
    _json_object("changes"),  # {file: {added, updated, removed}}
    _json_object("summary"),  # {error, warn, info}
    _json_object("detail"),
    sa.Index("ix_versions_org_dataset", "org_id", "dataset_id", "id"),
)

upload_sessions = sa.Table(
    "upload_sessions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # uuid4 hex
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("base_version_id", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    _json_object("data"),
    sa.Column("version_id", sa.Integer, nullable=True),
    sa.Index("ix_upload_sessions_expiry", "state", "expires_at"),  # the clean-up sweep
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # queued, running, done, failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="5"),
    sa.Column("run_at", UTCDateTime, nullable=False),
    sa.Column("locked_by", sa.String(100), nullable=True),
    sa.Column("locked_until", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Index("ix_jobs_state_run_at", "state", "run_at"),
)

read_models = sa.Table(  # what each dataset's read model holds, and who is changing it
    "read_models",
    metadata,
    sa.Column("dataset_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version_id", sa.Integer, nullable=True),  # the version whose state it holds
    sa.Column("generation", BIGINT, nullable=False, server_default="0"),  # rows visible
    sa.Column("locked_by_job", BIGINT, nullable=True),  # the propagation job applying to it
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

deliveries = sa.Table(  # each consumer's progress on each version
    "deliveries",
    metadata,
    sa.Column("version_id", sa.Integer, primary_key=True),
    sa.Column("consumer", sa.String(60), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column(
        "updated_at",
        UTCDateTime,
        nullable=False,
        server_default=sa.func.current_timestamp(),
    ),
)

accounts = sa.Table(  # people who sign in to the admin UI (and own API tokens)
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),  # stored lower-case
    sa.Column("password_hash", sa.String(255), nullable=False),  # argon2id
    sa.Column("is_platform", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

login_sessions = sa.Table(  # signed-in browsers; the cookie holds the token, we its hash
    "login_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

api_tokens = sa.Table(  # bearer tokens for automation, one organization each
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),  # shown in lists to tell tokens apart
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

login_failures = sa.Table(  # recent failed sign-ins, for rate limiting
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_login_failures_email_at", "email", "at"),
    sa.Index("ix_login_failures_address_at", "address", "at"),
)

integrations = sa.Table(  # SFTP feeds: a hosted account (kind "hosted") or a pull ("pull")
    "integrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # hosted, pull
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    sa.Column("login", sa.String(100), nullable=True, unique=True),  # hosted account's user name
    sa.Column("password_hash", sa.String(255), nullable=True),  # hosted: argon2id
    sa.Column("authorized_keys", sa.Text, nullable=True),  # hosted: OpenSSH public keys
    sa.Column("host", sa.String(255), nullable=True),  # pull: the custom server
    sa.Column("port", sa.Integer, nullable=True),
    sa.Column("username", sa.String(100), nullable=True),  # pull: user on the custom server
    sa.Column("secret", sa.LargeBinary, nullable=True),  # pull: password or key, encrypted
    sa.Column("host_key", sa.Text, nullable=True),  # pull: pinned server key (OpenSSH format)
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    _json_object("settings"),  # mode, levels, safeguards, schedule, pattern, after-processing
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_file_at", UTCDateTime, nullable=True),  # a delivery last arrived
    sa.Column("last_pull_at", UTCDateTime, nullable=True),
    sa.Column("stale_since", UTCDateTime, nullable=True),  # flagged: no files for too long
    sa.Index("ix_integrations_org", "org_id"),
)

integration_files = sa.Table(  # files seen on a custom server (what changed since last pull)
    "integration_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("size", BIGINT, nullable=False),
    sa.Column("mtime", BIGINT, nullable=False),  # seconds since the epoch, as the server says
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("seen_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("integration_id", "name", name="uq_integration_files_name"),
)

sftp_drops = sa.Table(  # a hosted account's delivery, handed over to storage and a job
    "sftp_drops",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # uuid hex, also its blob prefix
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
    sa.Column("folder", sa.String(64), nullable=False),  # the account folders it came from
    sa.Column("files", JSON, nullable=False),  # the names, as received
    sa.Column("state", sa.String(20), nullable=False),  # received, processed
    sa.Column("results", JSON, nullable=True),  # names of the result files, once processed
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("processed_at", UTCDateTime, nullable=True),
    sa.Column("delivered_at", UTCDateTime, nullable=True),  # results written to the folder
    sa.Index("ix_sftp_drops_folder_state", "folder", "state"),
)

integration_runs = sa.Table(  # each delivery processed (or recognised as already processed)
    "integration_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),  # sha256 over names and contents
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("version_id", sa.Integer, nullable=True),
    _json_object("detail"),  # files, change counts, summary, notes
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_integration_runs_integration", "integration_id", "id"),
)

notifications = sa.Table(  # in-app notices for an organization's administrators
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("read_at", UTCDateTime, nullable=True),
    sa.Index("ix_notifications_org", "org_id", "id"),
)

roster_objects = sa.Table(  # the canonical OneRoster roster: one row per object per dataset
    "roster_objects",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.Integer, nullable=False),
    sa.Column("dataset_id", sa.Integer, nullable=False),  # the organization's roster source
    sa.Column("generation", BIGINT, nullable=False, server_default="0"),  # read_models
    sa.Column("collection", sa.String(40), nullable=False),  # orgs, users, classes, …
    sa.Column("sourced_id", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # active, tobedeleted
    sa.Column("date_last_modified", UTCDateTime, nullable=False),  # commit of the last change
    sa.Column("version_id", sa.Integer, nullable=False),  # the version of the last change
    sa.Column("data", sa.Text, nullable=False),  # the object's JSON, without status/date
    # index columns (each collection fills those it has; see store/roster.py)
    sa.Column("type", sa.String(40), nullable=True),
    sa.Column("role", sa.String(40), nullable=True),
    sa.Column("school", sa.String(255), nullable=True),
    sa.Column("course", sa.String(255), nullable=True),
    sa.Column("class_id", sa.String(255), nullable=True),
    sa.Column("user_id", sa.String(255), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("username", sa.String(255), nullable=True),
    sa.Column("given_name", sa.String(255), nullable=True),
    sa.Column("family_name", sa.String(255), nullable=True),
    sa.Column("identifier", sa.String(255), nullable=True),
    sa.Index(
        "ux_roster_objects_key", "dataset_id", "generation", "collection", "sourced_id", unique=True
    ),
    sa.Index(
        "ix_roster_objects_modified", "dataset_id", "generation", "collection", "date_last_modified"
    ),
    sa.Index(
        "ix_roster_objects_class",
        "dataset_id",
        "generation",
        "collection",
        "class_id",
        "sourced_id",
    ),
    sa.Index(
        "ix_roster_objects_user", "dataset_id", "generation", "collection", "user_id", "sourced_id"
    ),
    sa.Index("ix_roster_objects_email", "dataset_id", "generation", "collection", "email"),
)

roster_links = sa.Table(  # object ↔ school (kind "school") and class ↔ term ("term")
    "roster_links",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("dataset_id", sa.Integer, nullable=False),
    sa.Column("generation", BIGINT, nullable=False, server_default="0"),
    sa.Column("collection", sa.String(40), nullable=False),
    sa.Column("sourced_id", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("target", sa.String(255), nullable=False),
    sa.Index(
        "ux_roster_links_target",
        "dataset_id",
        "generation",
        "kind",
        "target",
        "collection",
        "sourced_id",
        unique=True,
    ),
    sa.Index("ix_roster_links_object", "dataset_id", "generation", "collection", "sourced_id"),
)

api_apps = sa.Table(  # OneRoster API applications, one organization each
    "api_apps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),  # sha256 of a 256-bit secret
    # the secret encrypted with the instance key: OAuth 1.0a's HMAC needs the shared secret
    sa.Column("secret_sealed", sa.LargeBinary, nullable=True),
    sa.Column("scopes", sa.Text, nullable=False),  # space-separated
    sa.Column("schools", sa.Text, nullable=True),  # JSON list of school sourcedIds; None: all
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Index("ix_api_apps_org", "org_id"),
)

api_app_tokens = sa.Table(  # OAuth 2.0 bearer tokens of API applications (hashed)
    "api_app_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("app_id", sa.Integer, sa.ForeignKey("api_apps.id"), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),  # granted, space-separated
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index("ix_api_app_tokens_expiry", "expires_at"),
)

api_app_nonces = sa.Table(  # OAuth 1.0a nonces seen (a nonce used twice is refused)
    "api_app_nonces",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("nonce", sa.String(128), primary_key=True),
    sa.Column("timestamp", BIGINT, primary_key=True, autoincrement=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_api_app_nonces_created", "created_at"),
)

api_app_usage = sa.Table(  # requests per application per minute (rate limits)
    "api_app_usage",
    metadata,
    sa.Column("app_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("minute", BIGINT, primary_key=True, autoincrement=False),  # since the epoch
    sa.Column("requests", sa.Integer, nullable=False),
)

password_resets = sa.Table(  # forgotten-password resets: a link's token and a typed code, hashed
    "password_resets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256
    sa.Column("code_hash", sa.String(64), nullable=False),  # sha256 of account id + code
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index("ix_password_resets_account", "account_id"),
)

# -- change events, webhooks and the delivery ledger (migration 0006) -------------------------

events = sa.Table(  # the change feed: one row per changed roster object per committed version
    "events",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),  # the cursor
    sa.Column("org_id", sa.Integer, nullable=False),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("type", sa.String(60), nullable=False),  # users.updated, roster.loaded, …
    sa.Column("collection", sa.String(40), nullable=True),  # None for roster.loaded
    sa.Column("sourced_id", sa.String(255), nullable=True),
    sa.Column("data", sa.Text, nullable=False),  # the object's JSON as stored (or the marker's)
    sa.Column("previous", sa.Text, nullable=True),  # updates: old values of changed fields
    sa.Column("occurred_at", UTCDateTime, nullable=False),  # the version's commit time
    sa.Column("created_at", UTCDateTime, nullable=False),  # written (retention counts from it)
    sa.Index("ix_events_org", "org_id", "id"),
    sa.Index("ix_events_created", "created_at"),
)

event_horizons = sa.Table(  # per organization: the newest event id purged (older cursors: 410)
    "event_horizons",
    metadata,
    sa.Column("org_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("purged_through", BIGINT, nullable=False),
)

webhook_endpoints = sa.Table(  # an API application's webhook endpoints
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("app_id", sa.Integer, sa.ForeignKey("api_apps.id"), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("types", sa.Text, nullable=True),  # JSON list of event types; None: all
    sa.Column("secret_sealed", sa.LargeBinary, nullable=False),  # whsec_… with the instance key
    sa.Column("old_secret_sealed", sa.LargeBinary, nullable=True),  # signs too until …
    sa.Column("old_secret_until", UTCDateTime, nullable=True),  # … this time (rotation)
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("disabled_at", UTCDateTime, nullable=True),  # 410 from the receiver
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("removed_at", UTCDateTime, nullable=True),
    sa.Index("ix_webhook_endpoints_app", "app_id"),
)

# the delivery ledger is `deliveries`, one row per version and consumer: read-model,
# roster-store, and `webhook:<endpoint id>` for each endpoint
deliveries.append_column(sa.Column("endpoint_id", sa.Integer, nullable=True))
deliveries.append_column(sa.Column("next_try_at", UTCDateTime, nullable=True))
deliveries.append_column(sa.Column("last_status_code", sa.Integer, nullable=True))
deliveries.append_column(sa.Column("payload", sa.Text, nullable=True))  # a webhook's body

# -- SFTP export (issue 17): OneRoster 1.1 CSV delivered to an application's SFTP server --------

sftp_exports = sa.Table(  # an application's server that receives the roster as CSV
    "sftp_exports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("secret", sa.LargeBinary, nullable=False),  # password or key, encrypted
    sa.Column("host_key", sa.Text, nullable=True),  # pinned server key (OpenSSH format)
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    _json_object("settings"),  # path, schools, files, delta, schedule, time zone, zipped
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_version_id", sa.Integer, nullable=True),  # last version delivered whole
    sa.Column("last_delivered_at", UTCDateTime, nullable=True),
    sa.Column("last_scheduled_on", sa.String(10), nullable=True),  # local day of the last timed run
    sa.Index("ix_sftp_exports_org", "org_id"),
)

sftp_export_runs = sa.Table(  # one delivery of an export: its files, sizes and checksums
    "sftp_export_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("export_id", sa.Integer, sa.ForeignKey("sftp_exports.id"), nullable=False),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # bulk, delta
    sa.Column("state", sa.String(20), nullable=False),  # running, done, retrying, failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("bytes", BIGINT, nullable=False, server_default="0"),
    _json_object("detail"),  # {"files": [{name, size, sha256, rows}], "left_out": {…}}
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Index("ix_sftp_export_runs_export", "export_id", "id"),
)

# -- the accounts directory and the password vault (issue 16, migration 0008) ------------------

directory_accounts = sa.Table(  # one account per person of the organization's roster source
    "directory_accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # the account id: stable
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("sourced_id", sa.String(255), nullable=False),
    sa.Column("sis_id", sa.String(255), nullable=False),  # Student_id / Teacher_id / Staff_id
    sa.Column("role", sa.String(40), nullable=True),
    sa.Column("given_name", sa.String(255), nullable=True),
    sa.Column("middle_name", sa.String(255), nullable=True),
    sa.Column("family_name", sa.String(255), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("username", sa.String(255), nullable=True),
    sa.Column("schools", sa.Text, nullable=False),  # "|s1|s2|": school sourcedIds
    sa.Column("school_ids", sa.Text, nullable=False),  # "|a|b|": the schools' SIS ids
    sa.Column("grades", sa.Text, nullable=False),  # "|09|10|"
    sa.Column("state", sa.String(16), nullable=False),  # active | suspended | deleted
    sa.Column("digest", sa.String(24), nullable=False),  # of the fields above: change test
    sa.Column("password_hash", sa.Text, nullable=True),  # argon2id of the initial password
    sa.Column("password_from", sa.Integer, nullable=True),  # version whose snapshot holds it
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("absent_since", UTCDateTime, nullable=True),
    # one index besides the key: every extra one slows the bulk load of a large district;
    # listings page by id, and the SSO look-ups read the organization's accounts whole
    sa.UniqueConstraint("org_id", "sourced_id", name="ux_directory_accounts_person"),
)

directory_heads = sa.Table(  # the version of the roster source each directory holds
    "directory_heads",
    metadata,
    sa.Column("org_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

scim_apps = sa.Table(  # SCIM 2.0 applications of an organization's gallery
    "scim_apps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("base_url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.LargeBinary, nullable=False),  # the bearer token, AES-256-GCM
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    _json_object("settings"),  # roles, schools, groups
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_version_id", sa.Integer, nullable=True),  # last version pushed
    sa.Column("last_pushed_at", UTCDateTime, nullable=True),
    sa.Index("ix_scim_apps_org", "org_id"),
)

scim_users = sa.Table(  # what each account was last sent to a SCIM application as
    "scim_users",
    metadata,
    sa.Column("app_id", sa.Integer, sa.ForeignKey("scim_apps.id"), primary_key=True),
    sa.Column("sourced_id", sa.String(255), primary_key=True),  # = the SCIM externalId
    sa.Column("scim_id", sa.String(255), nullable=False),  # the application's id
    sa.Column("fingerprint", sa.String(64), nullable=False),  # of the attributes pushed
)

vault_apps = sa.Table(  # password-vault applications of an organization's gallery
    "vault_apps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("app_key", sa.String(100), nullable=False),  # app_credentials.csv Application_id
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("launch_url", sa.String(2000), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("org_id", "app_key", name="ux_vault_apps_key"),
)

vault_credentials = sa.Table(  # one account's credential for one application, sealed
    "vault_credentials",
    metadata,
    sa.Column("account_id", sa.Integer, sa.ForeignKey("directory_accounts.id"), primary_key=True),
    sa.Column("app_id", sa.Integer, sa.ForeignKey("vault_apps.id"), primary_key=True),
    sa.Column("sealed", sa.LargeBinary, nullable=False),  # AES-256-GCM, nonce per value
    sa.Column("set_at", UTCDateTime, nullable=False),
    sa.Column("set_by", sa.String(40), nullable=False),  # "upload" or "admin"
    sa.Index("ix_vault_credentials_app", "app_id"),
)

vault_reads = sa.Table(  # the audit of every credential read by a launch connector
    "vault_reads",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.Integer, nullable=False),
    sa.Column("app_id", sa.Integer, nullable=False),
    sa.Column("account_id", sa.Integer, nullable=True),  # None: no such account
    sa.Column("api_client_id", sa.String(64), nullable=False),
    sa.Column("address", sa.String(64), nullable=True),
    sa.Column("outcome", sa.String(20), nullable=False),  # read | not-found | refused
    sa.Column("read_at", UTCDateTime, nullable=False),
    sa.Index("ix_vault_reads_org", "org_id", "read_at"),
    sa.Index("ix_vault_reads_account", "account_id", "read_at"),
)
