"""The roster store: the canonical OneRoster roster the REST API reads (objects and their
school and term links), by dataset generation."""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.tables.base import BIGINT, UTCDateTime, metadata

roster_objects = sa.Table(  # the canonical OneRoster roster: one row per object per dataset
    "roster_objects",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.Integer, nullable=False),
    sa.Column("dataset_id", sa.Integer, nullable=False),  # the organization's roster source
    sa.Column("generation", BIGINT, nullable=False, server_default="0"),  # read_models
    sa.Column("collection", sa.String(40), nullable=False),  # orgs, users, classes, …
    sa.Column("sourced_id", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # active, tobedeleted
    sa.Column("date_last_modified", UTCDateTime, nullable=False),  # commit of the last change
    sa.Column("version_id", sa.Integer, nullable=False),  # the version of the last change
    sa.Column("data", sa.Text, nullable=False),  # the object's JSON, without status/date
    # index columns (each collection fills those it has; see store/roster/rows.py)
    sa.Column("type", sa.String(40), nullable=True),
    sa.Column("role", sa.String(40), nullable=True),
    sa.Column("school", sa.String(255), nullable=True),
    sa.Column("course", sa.String(255), nullable=True),
    sa.Column("class_id", sa.String(255), nullable=True),
    sa.Column("user_id", sa.String(255), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("username", sa.String(255), nullable=True),
    sa.Column("given_name", sa.String(255), nullable=True),
    sa.Column("family_name", sa.String(255), nullable=True),
    sa.Column("identifier", sa.String(255), nullable=True),
    sa.Index(
        "ux_roster_objects_key", "dataset_id", "generation", "collection", "sourced_id", unique=True
    ),
    sa.Index(
        "ix_roster_objects_modified", "dataset_id", "generation", "collection", "date_last_modified"
    ),
    sa.Index(
        "ix_roster_objects_class",
        "dataset_id",
        "generation",
        "collection",
        "class_id",
        "sourced_id",
    ),
    sa.Index(
        "ix_roster_objects_user", "dataset_id", "generation", "collection", "user_id", "sourced_id"
    ),
    sa.Index("ix_roster_objects_email", "dataset_id", "generation", "collection", "email"),
)

roster_links = sa.Table(  # object ↔ school (kind "school") and class ↔ term ("term")
    "roster_links",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("dataset_id", sa.Integer, nullable=False),
    sa.Column("generation", BIGINT, nullable=False, server_default="0"),
    sa.Column("collection", sa.String(40), nullable=False),
    sa.Column("sourced_id", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("target", sa.String(255), nullable=False),
    sa.Index(
        "ux_roster_links_target",
        "dataset_id",
        "generation",
        "kind",
        "target",
        "collection",
        "sourced_id",
        unique=True,
    ),
    sa.Index("ix_roster_links_object", "dataset_id", "generation", "collection", "sourced_id"),
)
