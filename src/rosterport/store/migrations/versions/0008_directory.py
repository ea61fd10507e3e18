"""The accounts directory (one account per person of the roster source, with the version it
holds), password-vault applications, sealed credentials and the audit of their reads.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "directory_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("sourced_id", sa.String(255), nullable=False),
        sa.Column("sis_id", sa.String(255), nullable=False),
        sa.Column("role", sa.String(40), nullable=True),
        sa.Column("given_name", sa.String(255), nullable=True),
        sa.Column("middle_name", sa.String(255), nullable=True),
        sa.Column("family_name", sa.String(255), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("username", sa.String(255), nullable=True),
        sa.Column("schools", sa.Text, nullable=False),
        sa.Column("school_ids", sa.Text, nullable=False),
        sa.Column("grades", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(24), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("password_from", sa.Integer, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        sa.Column("absent_since", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("org_id", "sourced_id", name="ux_directory_accounts_person"),
    )
    op.create_table(
        "directory_heads",
        sa.Column("org_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "vault_apps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("app_key", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("launch_url", sa.String(2000), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("org_id", "app_key", name="ux_vault_apps_key"),
    )
    op.create_table(
        "vault_credentials",
        sa.Column(
            "account_id", sa.Integer, sa.ForeignKey("directory_accounts.id"), primary_key=True
        ),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("vault_apps.id"), primary_key=True),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("set_at", TIMESTAMP, nullable=False),
        sa.Column("set_by", sa.String(40), nullable=False),
    )
    op.create_index("ix_vault_credentials_app", "vault_credentials", ["app_id"])
    op.create_table(
        "vault_reads",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.Integer, nullable=False),
        sa.Column("app_id", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Integer, nullable=True),
        sa.Column("api_client_id", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("read_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_vault_reads_org", "vault_reads", ["org_id", "read_at"])
    op.create_index("ix_vault_reads_account", "vault_reads", ["account_id", "read_at"])


def downgrade() -> None:
    for table in (
        "vault_reads",
        "vault_credentials",
        "vault_apps",
        "directory_heads",
        "directory_accounts",
    ):
        op.drop_table(table)
