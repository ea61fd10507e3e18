"""The generic `records` read model goes (issue 14): the roster store is the read model of
roster data, and nothing read the JSON rows of the other datasets.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.drop_table("records")


def downgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.Integer, nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("generation", BIGINT, nullable=False, server_default="0"),
    )
    op.create_index(
        "ux_records_key", "records", ["dataset_id", "entity", "generation", "key"], unique=True
    )
    op.execute("UPDATE read_models SET version_id = NULL")  # the old code reloads them whole
