"""Alembic environment: runs on the connection rosterport hands it (no alembic.ini, no URL).

`rosterport.store.engine.upgrade` opens that connection inside a transaction (and holds the
migration lock), so Alembic runs every revision in it and the caller commits.
"""

from __future__ import annotations

from alembic import context

from rosterport.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
