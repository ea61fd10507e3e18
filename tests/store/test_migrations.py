"""Migrations build exactly the schema of store/tables/ from an empty database, on both databases,
idempotently, even when several processes migrate at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rosterport.store.engine import (
    alembic_config,
    create_engine,
    current_revision,
    head_revision,
    upgrade,
)
from rosterport.store.tables import metadata

HEAD = head_revision()


def ddl_type(column_type: Any, dialect: sa.Dialect) -> str:
    """A column type as the database spells it ("VARCHAR(100)", "JSONB", "TIMESTAMP WITH …")."""
    return str(column_type.compile(dialect=dialect))


def test_migrations_from_an_empty_database_build_the_tables(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == HEAD
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == {*metadata.tables, "alembic_version"}
        for name, table in metadata.tables.items():
            reflected = {c["name"]: c for c in inspector.get_columns(name)}
            assert list(reflected) == [c.name for c in table.columns], name
            for column in table.columns:
                found = reflected[column.name]
                where = f"{name}.{column.name}"
                assert ddl_type(found["type"], engine.dialect) == ddl_type(
                    column.type, engine.dialect
                ), where
                assert found["nullable"] == column.nullable, where
                if not column.primary_key:  # PostgreSQL reports a serial key's sequence
                    assert (found["default"] is None) == (column.server_default is None), where
            primary = inspector.get_pk_constraint(name)["constrained_columns"]
            assert primary == [c.name for c in table.primary_key.columns], name
            indexes = {
                (tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)
            }
            assert indexes >= {
                (tuple(c.name for c in i.columns), bool(i.unique)) for i in table.indexes
            }, name
            unique = {cols for cols, is_unique in indexes if is_unique}
            unique |= {tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)}
            for constraint in table.constraints:
                if isinstance(constraint, sa.UniqueConstraint):
                    assert tuple(c.name for c in constraint.columns) in unique, name
            foreign = {
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(name)
            }
            assert foreign == {
                ((fk.parent.name,), fk.column.table.name) for fk in table.foreign_keys
            }, name
    finally:
        engine.dispose()


def test_alembic_finds_nothing_to_migrate(engine: sa.Engine) -> None:
    """Autogenerate's view: the migrated database and store/tables/ do not differ."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_upgrade_is_idempotent(engine: sa.Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [(HEAD,)]


def test_processes_starting_together_migrate_once(db_url: str) -> None:
    engines = [create_engine(db_url) for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def migrate(engine: sa.Engine) -> None:
        start.wait()
        try:
            upgrade(engine)
        except BaseException as error:  # collected and asserted below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=migrate, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert current_revision(engines[0]) == HEAD
    finally:
        for engine in engines:
            engine.dispose()


def test_downgrade_to_base_then_upgrade_again(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == HEAD
    assert set(sa.inspect(engine).get_table_names()) >= set(metadata.tables)


def test_migrations_ship_with_the_package() -> None:
    """The wheel carries the migrations (package-data); upgrade needs no alembic.ini."""
    from importlib.resources import files

    migrations = files("rosterport.store") / "migrations"
    assert (migrations / "env.py").is_file()
    assert (migrations / "versions" / "0001_initial.py").is_file()


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db"])
def test_bare_postgresql_urls_use_psycopg(url: str) -> None:
    engine = create_engine(url)  # no connection is made
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
