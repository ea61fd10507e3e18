"""Uploads and versions: each organization's datasets (one per data model), their versions,
and the upload sessions that lead to them.

`datasets.current_version_id` has no foreign key to `versions`: versions point at datasets, and
the pointer is only ever moved by compare-and-set in the commit transaction, so a second
(cyclic) constraint would add ordering trouble and no safety.
"""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.tables.base import UTCDateTime, json_object, metadata

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    sa.Column("current_version_id", sa.Integer, nullable=True),  # no FK: see the module doc
    sa.Column("lock_token", sa.String(64), nullable=True),  # only one open commit per dataset
    sa.UniqueConstraint("org_id", "model", name="uq_datasets_org_model"),
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("committed_by", sa.String(255), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),  # cli, web, api, sftp
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("base_version_id", sa.Integer, nullable=True),
    sa.Column("restored_from", sa.Integer, nullable=True),
    sa.Column("snapshot", sa.String(255), nullable=True),  # blob prefix
    sa.Column("originals", sa.String(255), nullable=True),  # blob key
    sa.Column("report", sa.String(255), nullable=True),  # blob key
    json_object("changes"),  # {file: {added, updated, removed}}
    json_object("summary"),  # {error, warn, info}
    json_object("detail"),
    sa.Index("ix_versions_org_dataset", "org_id", "dataset_id", "id"),
)

upload_sessions = sa.Table(
    "upload_sessions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # uuid4 hex
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("base_version_id", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    json_object("data"),
    sa.Column("version_id", sa.Integer, nullable=True),
    sa.Index("ix_upload_sessions_expiry", "state", "expires_at"),  # the clean-up sweep
)
