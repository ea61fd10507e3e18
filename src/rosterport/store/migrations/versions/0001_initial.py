"""The initial schema: organizations, datasets, versions, sessions, jobs, read model, deliveries.

Written out in full rather than built from `tables.metadata`, so that this revision keeps
creating the same schema after tables.py moves on (each later change gets its own revision).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrement wants INTEGER
TIMESTAMP = sa.DateTime(timezone=True)
EMPTY_OBJECT = sa.text("'{}'")


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("settings", JSON, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("current_version_id", sa.Integer, nullable=True),
        sa.Column("lock_token", sa.String(64), nullable=True),
        sa.UniqueConstraint("org_id", "model", name="uq_datasets_org_model"),
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("committed_by", sa.String(255), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("base_version_id", sa.Integer, nullable=True),
        sa.Column("restored_from", sa.Integer, nullable=True),
        sa.Column("snapshot", sa.String(255), nullable=True),
        sa.Column("originals", sa.String(255), nullable=True),
        sa.Column("report", sa.String(255), nullable=True),
        sa.Column("changes", JSON, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("summary", JSON, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("detail", JSON, nullable=False, server_default=EMPTY_OBJECT),
    )
    op.create_index("ix_versions_org_dataset", "versions", ["org_id", "dataset_id", "id"])
    op.create_table(
        "upload_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("base_version_id", sa.Integer, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("data", JSON, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("version_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_upload_sessions_expiry", "upload_sessions", ["state", "expires_at"])
    op.create_table(
        "jobs",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False, server_default="5"),
        sa.Column("run_at", TIMESTAMP, nullable=False),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_jobs_state_run_at", "jobs", ["state", "run_at"])
    op.create_table(
        "records",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.Integer, nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("data", JSON, nullable=False),
    )
    op.create_index("ux_records_key", "records", ["dataset_id", "entity", "key"], unique=True)
    op.create_table(
        "deliveries",
        sa.Column("version_id", sa.Integer, primary_key=True),
        sa.Column("consumer", sa.String(60), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column(
            "updated_at", TIMESTAMP, nullable=False, server_default=sa.func.current_timestamp()
        ),
    )


def downgrade() -> None:
    for table in (
        "deliveries",
        "records",
        "jobs",
        "upload_sessions",
        "versions",
        "datasets",
        "organizations",
    ):
        op.drop_table(table)  # their indexes go with them
