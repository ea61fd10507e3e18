"""Alembic environment: runs with the engine rosterport gives it (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from rosterport.store.tables import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
