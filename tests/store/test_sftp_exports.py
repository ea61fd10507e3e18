"""The roster objects an export reads, on both databases: the same text and times as
stored (PostgreSQL reads them through COPY's text format), in sourcedId order, in chunks,
narrowed to the changes after a version."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from rosterport.store import sftp_exports as store
from rosterport.store.roster import loading
from rosterport.store.roster.queries import Source
from rosterport.store.roster.rows import Place
from rosterport.store.tables import organizations

WHEN = datetime(2026, 11, 28, 9, 0, 0, 123456, tzinfo=UTC)


def test_objects_come_back_as_stored(engine: sa.Engine, monkeypatch: Any) -> None:
    monkeypatch.setattr(store, "COPY_BLOCK", 200)  # several blocks, lines cut across them
    with engine.begin() as conn:
        org_id = conn.execute(
            sa.insert(organizations)
            .values(slug="x", name="X", created_at=WHEN)
            .returning(organizations.c.id)
        ).scalar_one()
    tricky = 'Jo "JJ" \\ O\'Neil\t李\nnext \\N'
    ids = [f"u{n:03d}" for n in range(40)]
    frame = pl.DataFrame(
        {
            "sourcedId": ids,
            "json": [json.dumps({"sourcedId": i, "givenName": tricky}) for i in ids],
            "schools": [["S1"]] * len(ids),
            "givenName": [tricky] * len(ids),
            "status": ["active"] * len(ids),
            "modified": [WHEN] * len(ids),
            "version_id": [1] * 20 + [2] * 20,
        }
    )
    place = Place(org_id, 7, 0)
    with engine.begin() as conn:
        loading.write_objects(conn, place, "users", frame)
    source = Source(7, 0)
    with engine.connect() as conn:
        chunks = list(store.objects(conn, source, "users", schools=None, after_version=None))
        later = pl.concat(store.objects(conn, source, "users", schools=["S1"], after_version=1))
        none = list(store.objects(conn, source, "users", schools=["S9"], after_version=None))
    found = pl.concat(chunks)
    assert found.get_column("sourcedId").to_list() == ids
    assert found.get_column("json").to_list() == frame.get_column("json").to_list()
    assert set(found.get_column("givenName")) == {tricky}
    assert set(found.get_column("dateLastModified")) == {WHEN}
    assert later.get_column("sourcedId").to_list() == ids[20:]
    assert sum(c.height for c in none) == 0
