"""The accounts directory (issue 16, migration 0008) and what hangs off it: SCIM 2.0
applications and what was pushed to them, the password vault and its read audit."""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.tables.base import BIGINT, UTCDateTime, json_object, metadata

directory_accounts = sa.Table(  # one account per person of the organization's roster source
    "directory_accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # the account id: stable
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("sourced_id", sa.String(255), nullable=False),
    sa.Column("sis_id", sa.String(255), nullable=False),  # Student_id / Teacher_id / Staff_id
    sa.Column("role", sa.String(40), nullable=True),
    sa.Column("given_name", sa.String(255), nullable=True),
    sa.Column("middle_name", sa.String(255), nullable=True),
    sa.Column("family_name", sa.String(255), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("username", sa.String(255), nullable=True),
    sa.Column("schools", sa.Text, nullable=False),  # "|s1|s2|": school sourcedIds
    sa.Column("school_ids", sa.Text, nullable=False),  # "|a|b|": the schools' SIS ids
    sa.Column("grades", sa.Text, nullable=False),  # "|09|10|"
    sa.Column("state", sa.String(16), nullable=False),  # active | suspended | deleted
    sa.Column("digest", sa.String(24), nullable=False),  # of the fields above: change test
    sa.Column("password_hash", sa.Text, nullable=True),  # argon2id of the initial password
    sa.Column("password_from", sa.Integer, nullable=True),  # version whose snapshot holds it
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("absent_since", UTCDateTime, nullable=True),
    # one index besides the key: every extra one slows the bulk load of a large district;
    # listings page by id, and the SSO look-ups read the organization's accounts whole
    sa.UniqueConstraint("org_id", "sourced_id", name="ux_directory_accounts_person"),
)

directory_heads = sa.Table(  # the version of the roster source each directory holds
    "directory_heads",
    metadata,
    sa.Column("org_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

scim_apps = sa.Table(  # SCIM 2.0 applications of an organization's gallery
    "scim_apps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("base_url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.LargeBinary, nullable=False),  # the bearer token, AES-256-GCM
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    json_object("settings"),  # roles, schools, groups
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_version_id", sa.Integer, nullable=True),  # last version pushed
    sa.Column("last_pushed_at", UTCDateTime, nullable=True),
    sa.Index("ix_scim_apps_org", "org_id"),
)

scim_users = sa.Table(  # what each account was last sent to a SCIM application as
    "scim_users",
    metadata,
    sa.Column("app_id", sa.Integer, sa.ForeignKey("scim_apps.id"), primary_key=True),
    sa.Column("sourced_id", sa.String(255), primary_key=True),  # = the SCIM externalId
    sa.Column("scim_id", sa.String(255), nullable=False),  # the application's id
    sa.Column("fingerprint", sa.String(64), nullable=False),  # of the attributes pushed
)

vault_apps = sa.Table(  # password-vault applications of an organization's gallery
    "vault_apps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("app_key", sa.String(100), nullable=False),  # app_credentials.csv Application_id
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("launch_url", sa.String(2000), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("org_id", "app_key", name="ux_vault_apps_key"),
)

vault_credentials = sa.Table(  # one account's credential for one application, sealed
    "vault_credentials",
    metadata,
    sa.Column("account_id", sa.Integer, sa.ForeignKey("directory_accounts.id"), primary_key=True),
    sa.Column("app_id", sa.Integer, sa.ForeignKey("vault_apps.id"), primary_key=True),
    sa.Column("sealed", sa.LargeBinary, nullable=False),  # AES-256-GCM, nonce per value
    sa.Column("set_at", UTCDateTime, nullable=False),
    sa.Column("set_by", sa.String(40), nullable=False),  # "upload" or "admin"
    sa.Index("ix_vault_credentials_app", "app_id"),
)

vault_reads = sa.Table(  # the audit of every credential read by a launch connector
    "vault_reads",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.Integer, nullable=False),
    sa.Column("app_id", sa.Integer, nullable=False),
    sa.Column("account_id", sa.Integer, nullable=True),  # None: no such account
    sa.Column("api_client_id", sa.String(64), nullable=False),
    sa.Column("address", sa.String(64), nullable=True),
    sa.Column("outcome", sa.String(20), nullable=False),  # read | not-found | refused
    sa.Column("read_at", UTCDateTime, nullable=False),
    sa.Index("ix_vault_reads_org", "org_id", "read_at"),
    sa.Index("ix_vault_reads_account", "account_id", "read_at"),
)
