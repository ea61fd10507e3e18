"""The metadata database's tables (SQLAlchemy Core). Migrations create exactly these."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrement wants INTEGER
TIMESTAMP = sa.DateTime(timezone=True)

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("settings", JSON, nullable=False),
    sa.Column("created_at", TIMESTAMP, nullable=False),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    # No foreign key to versions: the pointer is moved by compare-and-set (no cycle to manage)
    sa.Column("current_version_id", sa.Integer, nullable=True),
    sa.Column("lock_token", sa.String(64), nullable=True),
    sa.UniqueConstraint("org_id", "model", name="uq_datasets_org_model"),
)

versions = sa.Table(
    "versions",
    metadata,
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
    sa.Column("changes", JSON, nullable=False),
    sa.Column("summary", JSON, nullable=False),
    sa.Column("detail", JSON, nullable=False),
    sa.Index("ix_versions_org_dataset", "org_id", "dataset_id", "id"),
)

upload_sessions = sa.Table(
    "upload_sessions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("base_version_id", sa.Integer, nullable=True),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.Column("expires_at", TIMESTAMP, nullable=False),
    sa.Column("data", JSON, nullable=False),
    sa.Column("version_id", sa.Integer, nullable=True),
    sa.Index("ix_upload_sessions_expiry", "state", "expires_at"),
)

jobs = sa.Table(
    "jobs",
    metadata,
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
    sa.Index("ix_jobs_state_run_at", "state", "run_at"),
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.Integer, nullable=False),
    sa.Column("dataset_id", sa.Integer, nullable=False),
    sa.Column("entity", sa.String(60), nullable=False),
    sa.Column("key", sa.String(1024), nullable=False),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("data", JSON, nullable=False),
    sa.Index("ux_records_key", "dataset_id", "entity", "key", unique=True),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("version_id", sa.Integer, primary_key=True),
    sa.Column("consumer", sa.String(60), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
)
