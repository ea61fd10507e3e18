"""The roster store (the canonical OneRoster roster the REST API reads: objects and their
school/term links, generations as `records`), and OneRoster API applications with their
OAuth 2.0 bearer tokens, OAuth 1.0a nonces and
request counts for rate limits.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "roster_objects",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.Integer, nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("generation", BIGINT, nullable=False, server_default="0"),
        sa.Column("collection", sa.String(40), nullable=False),
        sa.Column("sourced_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("date_last_modified", TIMESTAMP, nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
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
    )
    objects = ["dataset_id", "generation", "collection"]
    op.create_index(
        "ux_roster_objects_key", "roster_objects", [*objects, "sourced_id"], unique=True
    )
    op.create_index(
        "ix_roster_objects_modified", "roster_objects", [*objects, "date_last_modified"]
    )
    op.create_index(
        "ix_roster_objects_class", "roster_objects", [*objects, "class_id", "sourced_id"]
    )
    op.create_index("ix_roster_objects_user", "roster_objects", [*objects, "user_id", "sourced_id"])
    op.create_index("ix_roster_objects_email", "roster_objects", [*objects, "email"])
    op.create_table(
        "roster_links",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("generation", BIGINT, nullable=False, server_default="0"),
        sa.Column("collection", sa.String(40), nullable=False),
        sa.Column("sourced_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
    )
    op.create_index(
        "ux_roster_links_target",
        "roster_links",
        ["dataset_id", "generation", "kind", "target", "collection", "sourced_id"],
        unique=True,
    )
    op.create_index("ix_roster_links_object", "roster_links", [*objects, "sourced_id"])
    op.create_table(
        "api_apps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary, nullable=True),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("schools", sa.Text, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_api_apps_org", "api_apps", ["org_id"])
    op.create_table(
        "api_app_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("api_apps.id"), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_api_app_tokens_expiry", "api_app_tokens", ["expires_at"])
    op.create_table(
        "api_app_nonces",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.String(128), primary_key=True),
        sa.Column("timestamp", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_api_app_nonces_created", "api_app_nonces", ["created_at"])
    op.create_table(
        "api_app_usage",
        sa.Column("app_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("minute", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("requests", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("api_app_usage")
    op.drop_table("api_app_nonces")
    op.drop_table("api_app_tokens")
    op.drop_table("api_apps")
    op.drop_table("roster_links")
    op.drop_table("roster_objects")
