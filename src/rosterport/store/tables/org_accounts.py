"""Organizations and the people who administer them: admin accounts, signed-in browsers, API
tokens, failed sign-ins, password resets and in-app notices."""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.tables.base import UTCDateTime, json_object, metadata

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    json_object("settings"),  # mode, levels, thresholds, enabled models (services' business)
    sa.Column("created_at", UTCDateTime, nullable=False),
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
