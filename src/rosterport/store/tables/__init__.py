"""The metadata database's tables (SQLAlchemy Core): one submodule per area, every table
re-exported here.

This package's namespace is the schema's public face: repositories (and tests) write
`from rosterport.store.tables import versions` or `tables.metadata`, whichever submodule
holds the table. Every table belongs to the one `metadata` of `base.py`, with the column types
and conventions it sets out. The areas:

- `org_accounts`: organizations, admin accounts, sign-in sessions, API tokens, failed sign-ins,
  password resets, notifications;
- `uploads`: datasets, versions, upload sessions;
- `job_queue`: the jobs; `propagation`: read models and the delivery ledger;
- `roster_store`: the canonical OneRoster roster (objects and links);
- `directory`: the accounts directory, SCIM applications, the password vault;
- `sftp`: integrations (hosted accounts, pulls, drops, runs) and SFTP exports;
- `api`: OneRoster API applications, change events, webhook endpoints.

The first migration (`migrations/versions/0001_initial.py`) creates the tables of then, written
out in full so that later changes here come with a migration of their own;
`tests/store/test_migrations.py` checks that the migrated schema still equals this metadata.
"""

from __future__ import annotations

from rosterport.store.tables.api import (
    api_app_nonces,
    api_app_tokens,
    api_app_usage,
    api_apps,
    event_horizons,
    events,
    webhook_endpoints,
)
from rosterport.store.tables.base import metadata
from rosterport.store.tables.directory import (
    directory_accounts,
    directory_heads,
    scim_apps,
    scim_users,
    vault_apps,
    vault_credentials,
    vault_reads,
)
from rosterport.store.tables.job_queue import jobs
from rosterport.store.tables.org_accounts import (
    accounts,
    api_tokens,
    login_failures,
    login_sessions,
    notifications,
    organizations,
    password_resets,
)
from rosterport.store.tables.propagation import deliveries, read_models
from rosterport.store.tables.roster_store import roster_links, roster_objects
from rosterport.store.tables.sftp import (
    integration_files,
    integration_runs,
    integrations,
    sftp_drops,
    sftp_export_runs,
    sftp_exports,
)
from rosterport.store.tables.uploads import datasets, upload_sessions, versions

__all__ = [
    "accounts",
    "api_app_nonces",
    "api_app_tokens",
    "api_app_usage",
    "api_apps",
    "api_tokens",
    "datasets",
    "deliveries",
    "directory_accounts",
    "directory_heads",
    "event_horizons",
    "events",
    "integration_files",
    "integration_runs",
    "integrations",
    "jobs",
    "login_failures",
    "login_sessions",
    "metadata",
    "notifications",
    "organizations",
    "password_resets",
    "read_models",
    "roster_links",
    "roster_objects",
    "scim_apps",
    "scim_users",
    "sftp_drops",
    "sftp_export_runs",
    "sftp_exports",
    "upload_sessions",
    "vault_apps",
    "vault_credentials",
    "vault_reads",
    "versions",
    "webhook_endpoints",
]
