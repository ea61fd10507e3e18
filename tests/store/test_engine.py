"""Engines and table conventions: SQLite pragmas, UTC timestamps, JSON defaults, foreign keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from rosterport.store.engine import create_engine, immediate, sqlite_url
from rosterport.store.tables import datasets, deliveries, organizations

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_sqlite_url_is_the_data_dirs_database(tmp_path: Path) -> None:
    assert sqlite_url(tmp_path) == f"sqlite:///{tmp_path}/rosterport.db"


def test_sqlite_engine_creates_its_folder_and_sets_pragmas(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path / "new" / "data"))
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}
        assert (tmp_path / "new" / "data" / "rosterport.db").exists()
    finally:
        engine.dispose()


def test_immediate_transactions_take_the_write_lock_up_front(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
            conn.commit()
        with immediate(engine).begin():
            other = sa.create_engine(sqlite_url(tmp_path), connect_args={"timeout": 0})
            with other.connect() as conn, pytest.raises(sa.exc.OperationalError, match="locked"):
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            other.dispose()
    finally:
        engine.dispose()


def test_timestamps_come_back_as_aware_utc(engine: sa.Engine) -> None:
    tokyo = timezone(timedelta(hours=9))
    created = datetime(2026, 1, 2, 18, 30, 15, 123456, tzinfo=tokyo)
    with engine.begin() as conn:
        conn.execute(sa.insert(organizations).values(slug="a", name="A", created_at=created))
        conn.execute(  # naive values are taken as UTC
            sa.insert(organizations).values(slug="b", name="B", created_at=datetime(2026, 1, 2, 9))
        )
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.slug, organizations.c.created_at).order_by("slug")
        ).all()
        assert rows == [
            ("a", datetime(2026, 1, 2, 9, 30, 15, 123456, tzinfo=UTC)),
            ("b", datetime(2026, 1, 2, 9, tzinfo=UTC)),
        ]
        assert all(r.created_at.utcoffset() == timedelta(0) for r in rows)
        # comparisons happen in UTC whatever the zone of the parameter
        later = conn.execute(
            sa.select(organizations.c.slug).where(
                organizations.c.created_at >= datetime(2026, 1, 2, 18, 0, tzinfo=tokyo)
            )
        ).scalars()
        assert sorted(later) == ["a", "b"]


def test_json_columns_default_to_an_empty_object(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(  # raw SQL, as a bulk path would: the server default applies
            sa.text("INSERT INTO organizations (slug, name, created_at) VALUES ('r', 'R', :t)"),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
        conn.execute(  # Python defaults (timestamps have none: they come from the clock)
            sa.insert(organizations).values(slug="c", name="C", created_at=NOW)
        )
        conn.execute(
            sa.insert(deliveries).values(
                version_id=1, consumer="read-model", state="done", updated_at=NOW
            )
        )
    with engine.connect() as conn:
        settings = conn.execute(sa.select(organizations.c.settings)).scalars().all()
        delivery = conn.execute(sa.select(deliveries)).one()
    assert settings == [{}, {}]
    assert (delivery.attempts, delivery.updated_at.tzinfo) == (0, UTC)


def test_timestamps_have_no_hidden_clock(engine: sa.Engine) -> None:
    """An insert that forgets its timestamp fails: no column quietly reads the wall clock."""
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.insert(organizations).values(slug="t", name="T"))


def test_foreign_keys_are_enforced(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.insert(datasets).values(org_id=999, model="passport-roster"))
