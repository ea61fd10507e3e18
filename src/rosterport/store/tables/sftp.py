"""Integrations and SFTP: the feeds that bring files in (hosted accounts and pulls, the files
seen, the drops received, the runs processed) and the exports that deliver the roster out as
OneRoster 1.1 CSV (issue 17)."""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.tables.base import BIGINT, JSON, UTCDateTime, json_object, metadata

integrations = sa.Table(  # SFTP feeds: a hosted account (kind "hosted") or a pull ("pull")
    "integrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # hosted, pull
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("model", sa.String(40), nullable=False),
    sa.Column("login", sa.String(100), nullable=True, unique=True),  # hosted account's user name
    sa.Column("password_hash", sa.String(255), nullable=True),  # hosted: argon2id
    sa.Column("authorized_keys", sa.Text, nullable=True),  # hosted: OpenSSH public keys
    sa.Column("host", sa.String(255), nullable=True),  # pull: the custom server
    sa.Column("port", sa.Integer, nullable=True),
    sa.Column("username", sa.String(100), nullable=True),  # pull: user on the custom server
    sa.Column("secret", sa.LargeBinary, nullable=True),  # pull: password or key, encrypted
    sa.Column("host_key", sa.Text, nullable=True),  # pull: pinned server key (OpenSSH format)
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    json_object("settings"),  # mode, levels, safeguards, schedule, pattern, after-processing
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_file_at", UTCDateTime, nullable=True),  # a delivery last arrived
    sa.Column("last_pull_at", UTCDateTime, nullable=True),
    sa.Column("stale_since", UTCDateTime, nullable=True),  # flagged: no files for too long
    sa.Index("ix_integrations_org", "org_id"),
)

integration_files = sa.Table(  # files seen on a custom server (what changed since last pull)
    "integration_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("size", BIGINT, nullable=False),
    sa.Column("mtime", BIGINT, nullable=False),  # seconds since the epoch, as the server says
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("seen_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("integration_id", "name", name="uq_integration_files_name"),
)

sftp_drops = sa.Table(  # a hosted account's delivery, handed over to storage and a job
    "sftp_drops",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # uuid hex, also its blob prefix
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
    sa.Column("folder", sa.String(64), nullable=False),  # the account folders it came from
    sa.Column("files", JSON, nullable=False),  # the names, as received
    sa.Column("state", sa.String(20), nullable=False),  # received, processed
    sa.Column("results", JSON, nullable=True),  # names of the result files, once processed
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("processed_at", UTCDateTime, nullable=True),
    sa.Column("delivered_at", UTCDateTime, nullable=True),  # results written to the folder
    sa.Index("ix_sftp_drops_folder_state", "folder", "state"),
)

integration_runs = sa.Table(  # each delivery processed (or recognised as already processed)
    "integration_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),  # sha256 over names and contents
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("version_id", sa.Integer, nullable=True),
    json_object("detail"),  # files, change counts, summary, notes
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_integration_runs_integration", "integration_id", "id"),
)

sftp_exports = sa.Table(  # an application's server that receives the roster as CSV
    "sftp_exports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("secret", sa.LargeBinary, nullable=False),  # password or key, encrypted
    sa.Column("host_key", sa.Text, nullable=True),  # pinned server key (OpenSSH format)
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    json_object("settings"),  # path, schools, files, delta, schedule, time zone, zipped
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_version_id", sa.Integer, nullable=True),  # last version delivered whole
    sa.Column("last_delivered_at", UTCDateTime, nullable=True),
    sa.Column("last_scheduled_on", sa.String(10), nullable=True),  # local day of the last timed run
    sa.Index("ix_sftp_exports_org", "org_id"),
)

sftp_export_runs = sa.Table(  # one delivery of an export: its files, sizes and checksums
    "sftp_export_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("export_id", sa.Integer, sa.ForeignKey("sftp_exports.id"), nullable=False),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # bulk, delta
    sa.Column("state", sa.String(20), nullable=False),  # running, done, retrying, failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("bytes", BIGINT, nullable=False, server_default="0"),
    json_object("detail"),  # {"files": [{name, size, sha256, rows}], "left_out": {…}}
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Index("ix_sftp_export_runs_export", "export_id", "id"),
)
