"""Hosted SFTP drops become jobs (issue 13): a delivery that is ready in an account folder is
handed over to blob storage with a row here and an `sftp-drop` job, so any worker processes it
and the server that received it writes the result back to the account's `results/`.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sftp_drops",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
        sa.Column("folder", sa.String(64), nullable=False),
        sa.Column("files", JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("results", JSON, nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("processed_at", TIMESTAMP, nullable=True),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_sftp_drops_folder_state", "sftp_drops", ["folder", "state"])


def downgrade() -> None:
    op.drop_index("ix_sftp_drops_folder_state", "sftp_drops")
    op.drop_table("sftp_drops")
