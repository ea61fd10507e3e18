"""The dashboard's reads on both databases: an organization's own versions, newest first,
by model, by source and by status; production versions by id; an integration's last run."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from rosterport.store import dashboard as store
from rosterport.store import organizations
from rosterport.store.tables import datasets, integration_runs, integrations, versions

WHEN = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _version(conn: sa.Connection, org_id: int, dataset_id: int, model: str, source: str) -> int:
    status = "held" if source == "sftp" else "committed"
    return int(
        conn.execute(
            sa.insert(versions)
            .values(
                dataset_id=dataset_id,
                org_id=org_id,
                model=model,
                created_at=WHEN,
                committed_by="a@x.example",
                source=source,
                mode="full",
                status=status,
            )
            .returning(versions.c.id)
        ).scalar_one()
    )


def test_dashboard_reads(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        org_id = organizations.insert(conn, "x", "X", {}, now=WHEN)
        other = organizations.insert(conn, "y", "Y", {}, now=WHEN)
        ds = {}
        for org, model in ((org_id, "oneroster"), (org_id, "ed-fi"), (other, "oneroster")):
            ds[org, model] = conn.execute(
                sa.insert(datasets).values(org_id=org, model=model).returning(datasets.c.id)
            ).scalar_one()
        web = [_version(conn, org_id, ds[org_id, "oneroster"], "oneroster", "web") for _ in "abc"]
        sftp = _version(conn, org_id, ds[org_id, "ed-fi"], "ed-fi", "sftp")
        theirs = _version(conn, other, ds[other, "oneroster"], "oneroster", "web")
        conn.execute(
            sa.update(datasets)
            .where(datasets.c.id == ds[org_id, "oneroster"])
            .values(current_version_id=web[1])
        )
        feed = conn.execute(
            sa.insert(integrations)
            .values(org_id=org_id, kind="hosted", name="f", model="oneroster", created_at=WHEN)
            .returning(integrations.c.id)
        ).scalar_one()
        for status in ("failed", "committed"):
            conn.execute(
                sa.insert(integration_runs).values(
                    integration_id=feed, content_hash="h", status=status, created_at=WHEN
                )
            )
    with engine.connect() as conn:
        assert store.current_version_ids(conn, org_id) == {"oneroster": web[1], "ed-fi": None}
        recent = store.last_versions(conn, org_id, "oneroster", limit=2)
        assert [r.id for r in recent] == [web[2], web[1]]
        assert sorted(r.id for r in store.by_ids(conn, [web[1], theirs])) == [web[1], theirs]
        last_web = store.last_of_source(conn, org_id, "web")
        assert last_web is not None
        assert last_web.id == web[2]
        assert store.last_of_source(conn, org_id, "api") is None
        assert [r.id for r in store.with_status(conn, org_id, ["held", "x"])] == [sftp]
        run = store.last_run(conn, feed)
        assert run is not None
        assert run.status == "committed"
        assert store.last_run(conn, feed + 1) is None
