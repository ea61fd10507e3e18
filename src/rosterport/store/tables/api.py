"""OneRoster API applications (their tokens, OAuth 1.0a nonces and usage), the change feed
of events (migration 0006) and the applications' webhook endpoints."""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.tables.base import BIGINT, UTCDateTime, metadata

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
