"""SFTP export (issue 17): applications' servers that receive the roster as OneRoster 1.1
CSV, and each delivery's files, sizes and checksums (the `deliveries` ledger holds its
state per version).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EMPTY_OBJECT = sa.text("'{}'")


def upgrade() -> None:
    op.create_table(
        "sftp_exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("host_key", sa.Text, nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("settings", JSON, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_version_id", sa.Integer, nullable=True),
        sa.Column("last_delivered_at", TIMESTAMP, nullable=True),
        sa.Column("last_scheduled_on", sa.String(10), nullable=True),
    )
    op.create_index("ix_sftp_exports_org", "sftp_exports", ["org_id"])
    op.create_table(
        "sftp_export_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("export_id", sa.Integer, sa.ForeignKey("sftp_exports.id"), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("bytes", BIGINT, nullable=False, server_default="0"),
        sa.Column("detail", JSON, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_sftp_export_runs_export", "sftp_export_runs", ["export_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_sftp_export_runs_export", "sftp_export_runs")
    op.drop_table("sftp_export_runs")
    op.drop_index("ix_sftp_exports_org", "sftp_exports")
    op.drop_table("sftp_exports")
