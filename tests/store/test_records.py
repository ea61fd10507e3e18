"""The read model's bulk paths (COPY on PostgreSQL, batched executemany on SQLite)."""

from __future__ import annotations

import json
import time
from typing import TypedDict

import polars as pl
import pytest
import sqlalchemy as sa

from rosterport.store import records as store_records
from rosterport.store.records import (
    apply_record_changes,
    clear_records,
    count_records,
    get_record,
    insert_records,
    replace_records,
)
from rosterport.store.tables import records


class Where(TypedDict):
    dataset_id: int
    entity: str


WHERE = Where(dataset_id=1, entity="students.csv")


def load(engine: sa.Engine, n: int, *, dataset_id: int = 1, entity: str = "students.csv") -> int:
    with engine.begin() as conn:
        return replace_records(
            conn,
            org_id=1,
            dataset_id=dataset_id,
            entity=entity,
            version_id=1,
            keys=[f"k{i}" for i in range(n)],
            rows_json=[json.dumps({"id": i}) for i in range(n)],
        )


def table(engine: sa.Engine) -> set[tuple[object, ...]]:
    """Every row of the read model except its surrogate id."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(records).order_by(records.c.id)).all()
    return {
        (r.org_id, r.dataset_id, r.entity, r.key, r.version_id, json.dumps(r.data)) for r in rows
    }


def test_replace_then_apply_changes_is_idempotent(engine: sa.Engine) -> None:
    assert load(engine, 1000) == 1000
    assert load(engine, 1000) == 1000  # replacing twice gives the same table
    states = []
    for _ in range(2):  # delivered twice (at-least-once): same result
        with engine.begin() as conn:
            apply_record_changes(
                conn,
                org_id=1,
                version_id=2,
                upsert_keys=["k1", "new"],
                upsert_json=[json.dumps({"id": "one"}), json.dumps({"id": "new"})],
                delete_keys=["k2", "not-there"],
                **WHERE,
            )
        states.append(table(engine))
    assert states[0] == states[1]
    with engine.connect() as conn:
        assert count_records(conn, **WHERE) == 1000
        assert get_record(conn, key="k1", **WHERE) == {"id": "one"}
        assert get_record(conn, key="new", **WHERE) == {"id": "new"}
        assert get_record(conn, key="k2", **WHERE) is None
        assert get_record(conn, key="k3", **WHERE) == {"id": 3}
        version = conn.execute(
            sa.select(records.c.version_id).where(records.c.key == "new")
        ).scalar_one()
        assert version == 2


def test_each_dataset_and_entity_is_its_own(engine: sa.Engine) -> None:
    load(engine, 10)
    load(engine, 5, entity="teachers.csv")
    load(engine, 3, dataset_id=2)
    load(engine, 4)  # replaces only students.csv of dataset 1
    with engine.connect() as conn:
        counts = [
            count_records(conn, dataset_id=1, entity="students.csv"),
            count_records(conn, dataset_id=1, entity="teachers.csv"),
            count_records(conn, dataset_id=2, entity="students.csv"),
        ]
    assert counts == [4, 5, 3]


def test_awkward_text_survives_the_bulk_path(engine: sa.Engine) -> None:
    """COPY's text format escapes: tabs, newlines, backslashes, \\N, quotes, non-ASCII."""
    values = ["tab\there", "line\nbreak\r\n", "back\\slash", "\\N", 'quote "x"', "Zoë 学生 🎓"]
    keys = [f"{v}/{i}" for i, v in enumerate(values)]
    entity = "odd\tentity.csv"
    with engine.begin() as conn:
        replace_records(
            conn,
            org_id=1,
            dataset_id=1,
            entity=entity,
            version_id=1,
            keys=keys,
            rows_json=[json.dumps({"v": v}, ensure_ascii=False) for v in values],
        )
    with engine.connect() as conn:
        for key, value in zip(keys, values, strict=True):
            assert get_record(conn, dataset_id=1, entity=entity, key=key) == {"v": value}


def test_large_changes_go_in_batches(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_records, "BATCH", 7)
    load(engine, 50)
    with engine.begin() as conn:
        apply_record_changes(
            conn,
            org_id=1,
            version_id=2,
            upsert_keys=[f"k{i}" for i in range(20)] + [f"n{i}" for i in range(9)],
            upsert_json=["{}"] * 29,
            delete_keys=[f"k{i}" for i in range(20, 40)],
            **WHERE,
        )
    with engine.connect() as conn:
        assert count_records(conn, **WHERE) == 50 - 20 + 9
        assert get_record(conn, key="k5", **WHERE) == {}
        assert get_record(conn, key="k25", **WHERE) is None
        assert get_record(conn, key="k45", **WHERE) == {"id": 45}


def test_chunked_load_with_clear_and_insert(engine: sa.Engine) -> None:
    load(engine, 30)
    with engine.begin() as conn:
        assert clear_records(conn, **WHERE) == 30
        for start in range(0, 25, 10):
            keys = [f"c{i}" for i in range(start, min(start + 10, 25))]
            written = insert_records(
                conn, org_id=1, version_id=3, keys=keys, rows_json=["[]"] * len(keys), **WHERE
            )
            assert written == len(keys)
    with engine.connect() as conn:
        assert count_records(conn, **WHERE) == 25
        assert get_record(conn, key="k0", **WHERE) is None


def test_a_rolled_back_load_leaves_the_read_model_as_it_was(engine: sa.Engine) -> None:
    load(engine, 3)
    before = table(engine)

    def crash_after_writing() -> None:
        with engine.begin() as conn:
            replace_records(conn, org_id=1, version_id=9, keys=["a"], rows_json=["{}"], **WHERE)
            apply_record_changes(
                conn,
                org_id=1,
                version_id=9,
                upsert_keys=["b"],
                upsert_json=["{}"],
                delete_keys=["a"],
                **WHERE,
            )
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        crash_after_writing()
    assert table(engine) == before


def test_bulk_paths_join_a_connection_with_no_transaction_yet(engine: sa.Engine) -> None:
    """Commit-as-you-go: the driver-level writes belong to the connection's transaction."""
    with engine.connect() as conn:
        apply_record_changes(
            conn,
            org_id=1,
            version_id=1,
            upsert_keys=["a"],
            upsert_json=["{}"],
            delete_keys=[],
            **WHERE,
        )
        conn.rollback()
        assert count_records(conn, **WHERE) == 0
        apply_record_changes(
            conn,
            org_id=1,
            version_id=1,
            upsert_keys=["a"],
            upsert_json=["{}"],
            delete_keys=[],
            **WHERE,
        )
        conn.commit()
    with engine.connect() as conn:
        assert count_records(conn, **WHERE) == 1


def test_a_repeated_key_is_refused(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        replace_records(
            conn, org_id=1, version_id=1, keys=["a", "a"], rows_json=["1", "2"], **WHERE
        )


def test_keys_and_rows_must_pair_up(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="2 keys but 1 JSON rows"), engine.begin() as conn:
        replace_records(conn, org_id=1, version_id=1, keys=["a", "b"], rows_json=["{}"], **WHERE)


@pytest.mark.slow
def test_bulk_load_of_a_million_rows(engine: sa.Engine) -> None:
    """A measurement, printed (`-s`) rather than asserted: replace_records with 1M small rows
    (the JSON built columnar with polars, as propagation does)."""
    n = 1_000_000
    frame = pl.DataFrame({"id": pl.int_range(n, eager=True).cast(pl.String)}).with_columns(
        grade=pl.int_range(n, eager=True) % 13
    )
    keys = frame.get_column("id").to_list()
    rows = frame.select(pl.struct(pl.all()).struct.json_encode()).to_series().to_list()
    timings = []
    for _ in range(2):  # into an empty entity, then replacing it
        started = time.perf_counter()
        with engine.begin() as conn:
            replace_records(conn, org_id=1, version_id=1, keys=keys, rows_json=rows, **WHERE)
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    with engine.begin() as conn:  # a 1% change: 5,000 updated, 5,000 removed
        apply_record_changes(
            conn,
            org_id=1,
            version_id=2,
            upsert_keys=keys[:5000],
            upsert_json=rows[:5000],
            delete_keys=keys[5000:10000],
            **WHERE,
        )
    timings.append(time.perf_counter() - started)
    with engine.connect() as conn:
        assert count_records(conn, **WHERE) == n - 5000
    print(
        f"\n[{engine.dialect.name}] replace_records 1M rows: {timings[0]:.2f} s into an empty "
        f"entity, {timings[1]:.2f} s replacing it; apply_record_changes of 1%: {timings[2]:.2f} s"
    )
