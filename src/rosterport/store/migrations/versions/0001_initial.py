"""The initial schema: organizations, datasets, versions, sessions, jobs, read model.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from rosterport.store.tables import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
