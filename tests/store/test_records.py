"""The read model's bulk paths (COPY on PostgreSQL, batched executemany on SQLite)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from rosterport.store.records import (
    apply_record_changes,
    count_records,
    get_record,
    replace_records,
)

WHERE = {"dataset_id": 1, "entity": "students.csv"}


def load(engine: sa.Engine, n: int) -> None:
    with engine.begin() as conn:
        replace_records(
            conn,
            org_id=1,
            version_id=1,
            keys=[f"k{i}" for i in range(n)],
            rows_json=[json.dumps({"id": i}) for i in range(n)],
            **WHERE,
        )


def test_replace_then_apply_changes_is_idempotent(engine: sa.Engine) -> None:
    load(engine, 1000)
    load(engine, 1000)  # replacing twice gives the same table
    for _ in range(2):  # delivered twice (at-least-once): same result
        with engine.begin() as conn:
            apply_record_changes(
                conn,
                org_id=1,
                version_id=2,
                upsert_keys=["k1", "new"],
                upsert_json=[json.dumps({"id": "one"}), json.dumps({"id": "new"})],
                delete_keys=["k2"],
                **WHERE,
            )
    with engine.connect() as conn:
        assert count_records(conn, **WHERE) == 1000
        assert get_record(conn, key="k1", **WHERE) == {"id": "one"}
        assert get_record(conn, key="new", **WHERE) == {"id": "new"}
        assert get_record(conn, key="k2", **WHERE) is None


def test_a_rolled_back_load_leaves_nothing(engine: sa.Engine) -> None:
    try:
        with engine.begin() as conn:
            replace_records(conn, org_id=1, version_id=1, keys=["a"], rows_json=["{}"], **WHERE)
            raise RuntimeError("crash")
    except RuntimeError:
        pass
    with engine.connect() as conn:
        assert count_records(conn, **WHERE) == 0
