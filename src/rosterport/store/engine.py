"""Engines for SQLite (embedded default, WAL) and PostgreSQL, and schema migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
IMMEDIATE = "sqlite_immediate"  # execution option: BEGIN IMMEDIATE on SQLite


def immediate(engine: sa.Engine) -> sa.Engine:
    """The engine, with transactions that take SQLite's write lock when they begin."""
    return engine.execution_options(**{IMMEDIATE: True})


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'rosterport.db'}"


def create_engine(url: str) -> sa.Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a generous busy timeout."""
    if url.startswith("sqlite"):
        database = sa.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # let SQLAlchemy's BEGIN start transactions, so BEGIN IMMEDIATE can be used
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            # Readers never block in WAL mode; a transaction that must read then write
            # atomically (claiming a job) asks for the write lock up front.
            immediate = conn.get_execution_options().get(IMMEDIATE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def alembic_config(engine: sa.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: sa.Engine) -> None:
    """Migrate the database to the latest schema (idempotent)."""
    command.upgrade(alembic_config(engine), "head")
