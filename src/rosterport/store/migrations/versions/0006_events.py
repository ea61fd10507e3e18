"""Change events (the feed), webhook endpoints of API applications, and the delivery ledger's
new columns on `deliveries` (endpoint, next try, last HTTP status).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.Integer, nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("collection", sa.String(40), nullable=True),
        sa.Column("sourced_id", sa.String(255), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("previous", sa.Text, nullable=True),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_events_org", "events", ["org_id", "id"])
    op.create_index("ix_events_created", "events", ["created_at"])
    op.create_table(
        "event_horizons",
        sa.Column("org_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("purged_through", BIGINT, nullable=False),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("api_apps.id"), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("types", sa.Text, nullable=True),
        sa.Column("secret_sealed", sa.LargeBinary, nullable=False),
        sa.Column("old_secret_sealed", sa.LargeBinary, nullable=True),
        sa.Column("old_secret_until", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("disabled_at", TIMESTAMP, nullable=True),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.Column("removed_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_webhook_endpoints_app", "webhook_endpoints", ["app_id"])
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("endpoint_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("next_try_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("last_status_code", sa.Integer, nullable=True))
        batch.add_column(sa.Column("payload", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("payload")
        batch.drop_column("last_status_code")
        batch.drop_column("next_try_at")
        batch.drop_column("endpoint_id")
    op.drop_table("webhook_endpoints")
    op.drop_table("event_horizons")
    op.drop_table("events")
