"""Events between two states of a collection: created, updated with the old values of the
changed fields only, deleted with the last object; the first-load marker; counts."""

from __future__ import annotations

import json

import polars as pl

from rosterport.domain import events


def frame(**objects: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(
        {"sourcedId": list(objects), "json": [json.dumps(o) for o in objects.values()]},
        schema={"sourcedId": pl.String, "json": pl.String},
    )


def test_created_updated_and_deleted_with_previous_values_of_changed_fields_only() -> None:
    before = frame(a={"name": "A", "grade": "01"}, b={"name": "B"}, c={"name": "C"})
    after = frame(a={"name": "A", "grade": "02", "email": "a@x"}, c={"name": "C"}, d={"name": "D"})
    found = events.diff("users", before, after)
    rows = {(r["type"], r["sourced_id"]): r for r in found.to_dicts()}
    assert set(rows) == {("users.updated", "a"), ("users.deleted", "b"), ("users.created", "d")}
    updated = rows[("users.updated", "a")]
    assert json.loads(updated["previous"]) == {"grade": "01", "email": None}
    assert json.loads(updated["data"])["grade"] == "02"
    assert json.loads(rows[("users.deleted", "b")]["data"]) == {"name": "B"}
    assert rows[("users.created", "d")]["previous"] is None
    assert events.counts(found) == {"users": {"created": 1, "updated": 1, "deleted": 1}}


def test_from_nothing_every_object_is_created_and_equal_states_yield_nothing() -> None:
    state = frame(a={"n": 1}, b={"n": 2})
    assert events.diff("orgs", None, state).get_column("type").to_list() == ["orgs.created"] * 2
    assert events.diff("orgs", state, state).height == 0


def test_a_first_load_is_one_marker_with_what_was_loaded() -> None:
    marker = events.loaded_marker(7, {"users": 3, "orgs": 2})
    assert marker.get_column("type").to_list() == ["roster.loaded"]
    assert json.loads(marker.item(0, "data")) == {"version": 7, "counts": {"orgs": 2, "users": 3}}
    assert events.counts(marker) == {}
