"""The accounts repository on both databases: sessions expire, tokens are found by their
hash until revoked (once), and an organization's e-mail addresses come in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from rosterport.store import accounts as store
from rosterport.store import login_attempts, organizations

WHEN = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_accounts_and_sessions(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        org_id = organizations.insert(conn, "x", "X", {}, now=WHEN)
        other = organizations.insert(conn, "y", "Y", {}, now=WHEN)
        b = store.insert(conn, "b@x.example", "h", is_platform=False, org_id=org_id, now=WHEN)
        store.insert(conn, "a@x.example", "h", is_platform=False, org_id=org_id, now=WHEN)
        store.insert(conn, "c@y.example", "h", is_platform=False, org_id=other, now=WHEN)
        store.insert(conn, "p@example", "h", is_platform=True, org_id=None, now=WHEN)
        store.add_session(conn, "old", b, csrf="c1", now=WHEN, expires_at=WHEN + timedelta(hours=1))
        store.add_session(conn, "new", b, csrf="c2", now=WHEN, expires_at=WHEN + timedelta(hours=9))
    with engine.connect() as conn:
        assert store.email_taken(conn, "b@x.example")
        assert not store.email_taken(conn, "z@x.example")
        assert store.any_account(conn)
        assert store.emails_of_org(conn, org_id) == ["a@x.example", "b@x.example"]
        assert [r.email for r in store.all_by_email(conn)] == [
            "a@x.example",
            "b@x.example",
            "c@y.example",
            "p@example",
        ]
        assert [r.email for r in store.all_by_email(conn, org_id=other)] == ["c@y.example"]
        found = store.by_email(conn, "b@x.example")
        assert found is not None
        assert found.id == b
        assert store.by_email(conn, "z@x.example") is None
        later = WHEN + timedelta(hours=2)
        assert store.session_account(conn, "old", now=later) is None
        session = store.session_account(conn, "new", now=later)
        assert session is not None
        assert (session.email, session.csrf) == ("b@x.example", "c2")
    with engine.begin() as conn:
        store.drop_expired_sessions(conn, now=WHEN + timedelta(hours=2))
        store.drop_session(conn, "new")
    with engine.connect() as conn:
        assert store.session_account(conn, "new", now=WHEN) is None
        assert store.session_account(conn, "old", now=WHEN) is None


def test_tokens(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        org_id = organizations.insert(conn, "x", "X", {}, now=WHEN)
        other = organizations.insert(conn, "y", "Y", {}, now=WHEN)
        a = store.insert(conn, "a@x.example", "h", is_platform=False, org_id=org_id, now=WHEN)
        for name in ("one", "two"):
            store.add_token(
                conn, org_id, a, name=name, token_hash=f"hash-{name}", prefix="rp_", now=WHEN
            )
    with engine.connect() as conn:
        tokens = store.active_tokens(conn, org_id)
        assert [(t.name, t.email) for t in tokens] == [
            ("two", "a@x.example"),
            ("one", "a@x.example"),
        ]
        assert store.active_tokens(conn, other) == []
        user = store.token_account(conn, "hash-one")
        assert user is not None
        assert (user.email, user.token_org, user.token_used) == (
            "a@x.example",
            org_id,
            None,
        )
    one, two = tokens[1].id, tokens[0].id
    with engine.begin() as conn:
        store.set_token_used(conn, one, now=WHEN + timedelta(minutes=5))
        assert not store.revoke_token(conn, other, two, now=WHEN)  # another organization's
        assert store.revoke_token(conn, org_id, two, now=WHEN)
        assert not store.revoke_token(conn, org_id, two, now=WHEN)  # once
    with engine.connect() as conn:
        user = store.token_account(conn, "hash-one")
        assert user is not None
        assert user.token_used == WHEN + timedelta(minutes=5)
        assert store.token_account(conn, "hash-two") is None
        assert [t.name for t in store.active_tokens(conn, org_id)] == ["one"]


def test_sign_in_failures(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        store.lock_sign_ins(conn, 0x72702D6C6F67696E)
        old = login_attempts.record(conn, "a@x.example", "1.1.1.1", now=WHEN)
        new = login_attempts.record(conn, "a@x.example", "1.1.1.1", now=WHEN + timedelta(hours=1))
        assert new > old
        login_attempts.forget(conn, before=WHEN + timedelta(minutes=30))
        left = conn.execute(sa.text("SELECT id FROM login_failures")).scalars().all()
    assert left == [new]
