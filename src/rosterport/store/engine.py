"""Engines for SQLite (the embedded default, in WAL mode) and PostgreSQL, and migrations.

SQLite transactions are begun by SQLAlchemy (not by the driver's implicit transactions), so a
transaction that reads and then writes can take the write lock up front with
`immediate(engine).begin()` (`BEGIN IMMEDIATE`): two such transactions then queue on the
busy timeout instead of failing when the second one tries to write. On PostgreSQL
`immediate` changes nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from rosterport.clock import monotonic
from rosterport.errors import ConfigurationError
from rosterport.files import private_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
IMMEDIATE = "sqlite_immediate"  # execution option: BEGIN IMMEDIATE on SQLite
BUSY_TIMEOUT_MS = 30_000
# pg_advisory_xact_lock key held while migrating, so that processes starting together
# migrate one after the other (the ASCII bytes of "rosterpo" as a bigint)
MIGRATION_LOCK = 0x726F73746572706F


def sqlite_url(data_dir: Path) -> str:
    """The embedded database of a data directory."""
    return f"sqlite:///{data_dir / 'rosterport.db'}"


def immediate(engine: sa.Engine) -> sa.Engine:
    """The engine, with transactions that take SQLite's write lock when they begin."""
    return engine.execution_options(**{IMMEDIATE: True})


def create_engine(url: str) -> sa.Engine:
    """An engine for `url`.

    SQLite: the parent folder is created; every connection gets WAL, foreign keys and a
    busy timeout of 30 s. PostgreSQL: `postgresql://` and `postgres://` URLs use psycopg 3.
    """
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            url = "postgresql+psycopg://" + url.removeprefix(bare)
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str) -> sa.Engine:
    database = sa.make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
        # database file's mode (ones left by an older version are tightened too)
        private_file(Path(database))
        for suffix in ("-wal", "-shm"):
            companion = Path(database + suffix)
            if companion.exists():
                private_file(companion)
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event start transactions (the driver would start them
        # lazily, before the first write, with no way to ask for IMMEDIATE)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        _use_wal(dbapi_connection)

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        # WAL readers never block; a transaction that must read then write atomically
        # (claiming a job, creating a row unless it exists) asks for the write lock up front
        wants_lock = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if wants_lock else "BEGIN")

    return engine


def _use_wal(dbapi_connection: sqlite3.Connection) -> None:
    """Put the database in WAL mode (a persistent setting) unless it is already.

    Switching needs the database to itself, and SQLite does not wait on the busy timeout for
    it: several processes opening a new database at once retry here instead of failing.
    """
    deadline = monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or monotonic() > deadline:
                raise
            time.sleep(0.05)
        else:
            return


@contextmanager
def _migration_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One transaction that only one migrating process holds at a time."""
    with immediate(engine).connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        yield conn


def alembic_config(connection: sa.Connection) -> Config:
    """Alembic's configuration, built in code (no alembic.ini): the packaged migrations,
    run on `connection` (see migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine) -> None:
    """Migrate the database to the latest schema, in one transaction (idempotent; safe when
    several processes start at once)."""
    with _migration_transaction(engine) as conn:
        command.upgrade(alembic_config(conn), "head")


def head_revision() -> str:
    """The newest revision among the packaged migrations."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:
        raise ConfigurationError(
            "the packaged migrations have no head revision (a packaging bug): reinstall rosterport"
        )
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The schema revision the database is at (None before the first migration)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
