"""SCIM 2.0 provisioning (issue 16): SCIM applications (base URL, sealed bearer token,
roles, schools, groups on/off) and, per application, what each account was last sent as
(its SCIM id and the fingerprint of the attributes pushed).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EMPTY_OBJECT = sa.text("'{}'")


def upgrade() -> None:
    op.create_table(
        "scim_apps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("base_url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("settings", JSON, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_version_id", sa.Integer, nullable=True),
        sa.Column("last_pushed_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_scim_apps_org", "scim_apps", ["org_id"])
    op.create_table(
        "scim_users",
        sa.Column("app_id", sa.Integer, sa.ForeignKey("scim_apps.id"), primary_key=True),
        sa.Column("sourced_id", sa.String(255), primary_key=True),
        sa.Column("scim_id", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scim_users")
    op.drop_index("ix_scim_apps_org", "scim_apps")
    op.drop_table("scim_apps")
