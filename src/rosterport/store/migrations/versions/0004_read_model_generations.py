"""Read-model generations: a first load is written in chunks beside the visible rows and
swapped in at once; `read_models` says which version and generation each dataset's read
model holds, and which propagation job holds it (one at a time per dataset).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("records", sa.Column("generation", BIGINT, nullable=False, server_default="0"))
    op.drop_index("ux_records_key", table_name="records")
    op.create_index(
        "ux_records_key", "records", ["dataset_id", "entity", "generation", "key"], unique=True
    )
    op.create_table(
        "read_models",
        sa.Column("dataset_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version_id", sa.Integer, nullable=True),
        sa.Column("generation", BIGINT, nullable=False, server_default="0"),
        sa.Column("locked_by_job", BIGINT, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    # datasets already propagated keep what they hold: version = the newest version whose
    # read-model delivery is done
    op.execute(
        "INSERT INTO read_models (dataset_id, version_id, generation, updated_at) "
        "SELECT v.dataset_id, MAX(v.id), 0, MAX(d.updated_at) FROM versions v "
        "JOIN deliveries d ON d.version_id = v.id AND d.consumer = 'read-model' "
        "AND d.state = 'done' GROUP BY v.dataset_id"
    )


def downgrade() -> None:
    op.drop_table("read_models")
    op.drop_index("ux_records_key", table_name="records")
    op.create_index("ux_records_key", "records", ["dataset_id", "entity", "key"], unique=True)
    op.drop_column("records", "generation")
