"""The notifications repository on both databases: an organization's own, newest first,
unread ones only when asked; marking read touches only the organization's unread ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from rosterport.store import notifications as store
from rosterport.store import organizations

WHEN = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_notifications(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        org_id = organizations.insert(conn, "x", "X", {}, now=WHEN)
        other = organizations.insert(conn, "y", "Y", {}, now=WHEN)
        ids = [store.insert(conn, org_id, "k", f"m{n}", now=WHEN) for n in range(3)]
        theirs = store.insert(conn, other, "k", "theirs", now=WHEN)
    with engine.connect() as conn:
        found = store.of_org(conn, org_id, unread=False, limit=100)
        assert [r.message for r in found] == ["m2", "m1", "m0"]
        assert [r.id for r in store.of_org(conn, org_id, unread=False, limit=2)] == ids[:0:-1]
    read = WHEN + timedelta(hours=1)
    with engine.begin() as conn:
        store.mark_read(conn, org_id, [ids[1], theirs], now=read)
        store.mark_read(conn, org_id, [ids[1]], now=read + timedelta(hours=1))  # already read
    with engine.connect() as conn:
        assert [r.id for r in store.of_org(conn, org_id, unread=True, limit=100)] == [
            ids[2],
            ids[0],
        ]
        marked = store.of_org(conn, org_id, unread=False, limit=100)[1]
        assert (marked.id, marked.read_at) == (ids[1], read)
        assert store.of_org(conn, other, unread=True, limit=100)[0].read_at is None
