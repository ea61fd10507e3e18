"""The job queue: background work, claimed and retried by the workers."""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.tables.base import BIGINT, JSON, UTCDateTime, metadata

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
