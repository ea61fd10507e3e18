"""The repositories of the SFTP integrations, their deliveries and propagation's version
statuses, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from rosterport.store import deliveries, organizations, propagation
from rosterport.store import integrations as store
from rosterport.store import versions as stored_versions
from rosterport.store.tables import datasets, versions

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _org(conn: sa.Connection, slug: str = "x") -> int:
    return organizations.insert(conn, slug, slug.upper(), {}, now=NOW)


def test_integrations_are_found_by_id_organization_login_and_kind(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        org, other = _org(conn), _org(conn, "y")
        hosted = store.insert(
            conn,
            org,
            kind="hosted",
            name="sis",
            model="m",
            settings={"pattern": "*.csv"},
            now=NOW,
            login="sis",
            password_hash="hash",
            authorized_keys="ssh-ed25519 AAAA\n",
        )
        pull = store.insert(
            conn, other, kind="pull", name="p", model="m", settings={}, now=NOW, secret=b"sealed"
        )
    with engine.connect() as conn:
        assert store.login_taken(conn, "sis")
        assert not store.login_taken(conn, "other")
        row = store.by_id(conn, hosted)
        assert row is not None
        assert (row.org_id, row.login, row.settings) == (
            org,
            "sis",
            {"pattern": "*.csv"},
        )
        assert row.enabled
        assert row.created_at == NOW
        assert store.in_org(conn, org, hosted) is not None
        assert store.in_org(conn, other, hosted) is None
        assert store.by_id(conn, pull + 100) is None
        assert [r.id for r in store.listed(conn)] == [hosted, pull]
        assert [r.id for r in store.listed(conn, org_id=other)] == [pull]
        assert [r.id for r in store.listed(conn, kind="hosted")] == [hosted]
        assert store.listed(conn, org_id=other, kind="hosted") == []
        found = store.enabled_by_login(conn, "sis", kind="hosted")
        assert found is not None
        assert found.id == hosted
        assert store.enabled_by_login(conn, "sis", kind="pull") is None
        assert store.password_hash(conn, "sis", kind="hosted") == "hash"
        assert store.password_hash(conn, "nobody", kind="hosted") is None
        assert store.authorized_keys(conn, hosted) == "ssh-ed25519 AAAA\n"
        assert store.authorized_keys(conn, pull) is None
        assert store.secret(conn, pull) == b"sealed"
        assert store.secret(conn, hosted) is None
    with engine.begin() as conn:
        store.update(conn, hosted, enabled=False, last_file_at=NOW)
    with engine.connect() as conn:
        assert store.enabled_by_login(conn, "sis", kind="hosted") is None
        assert store.password_hash(conn, "sis", kind="hosted") is None
        row = store.by_id(conn, hosted)
        assert row is not None
        assert row.last_file_at == NOW


def test_seen_files_are_added_and_forgotten_by_name(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        org = _org(conn)
        one = store.insert(conn, org, kind="pull", name="a", model="m", settings={}, now=NOW)
        two = store.insert(conn, org, kind="pull", name="b", model="m", settings={}, now=NOW)
        store.add_seen(conn, one, [("a.csv", 1, 10, "aa"), ("b.csv", 2**40, 20, "bb")], now=NOW)
        store.add_seen(conn, two, [("a.csv", 3, 30, "cc")], now=NOW)
    with engine.begin() as conn:
        store.forget_seen(conn, one, ["a.csv", "gone.csv"])
    with engine.connect() as conn:
        assert [(r.name, r.size, r.mtime, r.sha256, r.seen_at) for r in store.seen(conn, one)] == [
            ("b.csv", 2**40, 20, "bb", NOW)
        ]
        assert [r.name for r in store.seen(conn, two)] == ["a.csv"]


def test_the_last_hash_is_the_newest_delivery_not_skipped(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        org = _org(conn)
        one = store.insert(conn, org, kind="hosted", name="a", model="m", settings={}, now=NOW)
        two = store.insert(conn, org, kind="hosted", name="b", model="m", settings={}, now=NOW)
        assert deliveries.last_hash(conn, one, skipping="Refused") is None
        for digest, status in (("h1", "Held"), ("h2", "Committed"), ("h3", "Refused")):
            deliveries.insert(
                conn,
                one,
                content_hash=digest,
                status=status,
                version_id=None,
                detail={"status": status},
                now=NOW,
            )
    with engine.connect() as conn:
        assert deliveries.last_hash(conn, one, skipping="Refused") == "h2"
        assert deliveries.last_hash(conn, one, skipping="Other") == "h3"
        assert deliveries.last_hash(conn, two, skipping="Refused") is None


def _version(conn: sa.Connection, org: int, dataset: int, status: str) -> int:
    return int(
        conn.execute(
            sa.insert(versions)
            .values(
                dataset_id=dataset,
                org_id=org,
                model="m",
                created_at=NOW,
                committed_by="t",
                source="cli",
                mode="full",
                status=status,
            )
            .returning(versions.c.id)
        ).scalar_one()
    )


def test_propagation_reads_the_current_version_and_sets_statuses(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        org = _org(conn)
        dataset = conn.execute(
            sa.insert(datasets).values(org_id=org, model="m").returning(datasets.c.id)
        ).scalar_one()
        old, failed, held, new = (
            _version(conn, org, dataset, status) for status in ("Pending", "Failed", "Held", "New")
        )
    with engine.connect() as conn, pytest.raises(sa.exc.NoResultFound):
        propagation.current_version(conn, dataset)  # no current version yet
    with engine.begin() as conn:
        conn.execute(sa.update(datasets).values(current_version_id=new))
        propagation.set_status_of(
            conn, [old, failed, held], "Done", when_in=["Pending", "Failed", "New"]
        )
        stored_versions.set_status(conn, new, "Failed")
    with engine.connect() as conn:
        current, row = propagation.current_version(conn, dataset)
        assert (current, row.org_id, row.model) == (new, org, "m")
        statuses = [propagation.version(conn, i).status for i in (old, failed, held, new)]
        assert statuses == ["Done", "Done", "Held", "Failed"]
        with pytest.raises(sa.exc.NoResultFound):
            propagation.version(conn, new + 1)
