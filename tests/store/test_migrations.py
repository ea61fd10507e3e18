"""Migrations build the schema of tables.py from an empty database, on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from rosterport.store.engine import upgrade
from rosterport.store.tables import metadata


def test_migrated_schema_matches_the_tables(engine: sa.Engine) -> None:
    inspector = sa.inspect(engine)
    tables = set(inspector.get_table_names()) - {"alembic_version"}
    assert tables == set(metadata.tables)
    for name, table in metadata.tables.items():
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert columns == {c.name for c in table.columns}, name


def test_upgrade_is_idempotent(engine: sa.Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0001"
