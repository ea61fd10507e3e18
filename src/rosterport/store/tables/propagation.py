"""What propagation records: each dataset's read model, and the delivery ledger (each
consumer's progress on each version: read-model, roster-store, `webhook:<endpoint id>`)."""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.tables.base import BIGINT, UTCDateTime, metadata

read_models = sa.Table(  # what each dataset's read model holds, and who is changing it
    "read_models",
    metadata,
    sa.Column("dataset_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version_id", sa.Integer, nullable=True),  # the version whose state it holds
    sa.Column("generation", BIGINT, nullable=False, server_default="0"),  # rows visible
    sa.Column("locked_by_job", BIGINT, nullable=True),  # the propagation job applying to it
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

deliveries = sa.Table(  # each consumer's progress on each version
    "deliveries",
    metadata,
    sa.Column("version_id", sa.Integer, primary_key=True),
    sa.Column("consumer", sa.String(60), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column(
        "updated_at",
        UTCDateTime,
        nullable=False,
        server_default=sa.func.current_timestamp(),
    ),
    # the delivery ledger of webhooks (migration 0006): one consumer per endpoint
    sa.Column("endpoint_id", sa.Integer, nullable=True),
    sa.Column("next_try_at", UTCDateTime, nullable=True),
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("payload", sa.Text, nullable=True),  # a webhook's body
)
