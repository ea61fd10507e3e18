"""SFTP integrations (hosted accounts and pulls), the files and deliveries they saw, and
in-app notifications.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EMPTY_OBJECT = sa.text("'{}'")


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("login", sa.String(100), nullable=True, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("authorized_keys", sa.Text, nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("port", sa.Integer, nullable=True),
        sa.Column("username", sa.String(100), nullable=True),
        sa.Column("secret", sa.LargeBinary, nullable=True),
        sa.Column("host_key", sa.Text, nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("settings", JSON, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_file_at", TIMESTAMP, nullable=True),
        sa.Column("last_pull_at", TIMESTAMP, nullable=True),
        sa.Column("stale_since", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_integrations_org", "integrations", ["org_id"])
    op.create_table(
        "integration_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", BIGINT, nullable=False),
        sa.Column("mtime", BIGINT, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("seen_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("integration_id", "name", name="uq_integration_files_name"),
    )
    op.create_table(
        "integration_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=True),
        sa.Column("detail", JSON, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_integration_runs_integration", "integration_runs", ["integration_id", "id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("read_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_notifications_org", "notifications", ["org_id", "id"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("integration_runs")
    op.drop_table("integration_files")
    op.drop_table("integrations")
