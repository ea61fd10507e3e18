"""Production states and change sets (domain/production_state.py, domain/changes.py; issue 3,
"Change preview").

Full mode and OneRoster bulk: the upload is the complete set, except records validation
filtered out (Warn), which stay as they are ("kept"). Incremental and OneRoster delta add or
update; delta also deletes `tobedeleted` keys; an absent file leaves production unchanged.
`diff` reports added keys, removed records and per-field updates (old → new, secrets ••••).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rosterport.domain.changes import (
    ChangeSet,
    FileChanges,
    KnockOn,
    diff,
    knock_on_effects,
    record_name,
)
from rosterport.domain.formats import ID, SECRET, TEXT
from rosterport.domain.production_state import (
    conform_state,
    empty_state,
    kept_rows,
    next_state,
    state_key,
)
from rosterport.domain.schemas.model import Column, FileSchema
from rosterport.domain.schemas.oneroster import ONEROSTER_11
from rosterport.domain.schemas.passport_roster import PASSPORT_ROSTER
from rosterport.domain.schemas.passport_sso import APP_CREDENTIALS

MASK = "••••"

# id, name, grade, pin (secret)
THINGS = FileSchema(
    "things.csv",
    (
        Column("id", ID, required=True),
        Column("name", TEXT),
        Column("grade", TEXT),
        Column("pin", SECRET),
    ),
    key=("id",),
)
# school, id (a two-column key), name, grade
PAIRS = FileSchema(
    "pairs.csv",
    (Column("school", ID), Column("id", ID), Column("name", TEXT), Column("grade", TEXT)),
    key=("school", "id"),
)
SECTIONS = PASSPORT_ROSTER.file("sections.csv")
ENROLLMENTS = PASSPORT_ROSTER.file("enrollments.csv")
SCHOOLS = PASSPORT_ROSTER.file("schools.csv")
STUDENTS = PASSPORT_ROSTER.file("students.csv")
TEACHERS = PASSPORT_ROSTER.file("teachers.csv")


def state(
    schema: FileSchema, *records: tuple[str | None, ...], columns: tuple[str, ...] = ()
) -> pl.DataFrame:
    """A production state of `schema` from tuples of `columns` (default: every column)."""
    names = list(columns or schema.column_names)
    frame = pl.DataFrame(
        [list(r) for r in records], schema=dict.fromkeys(names, pl.String), orient="row"
    )
    return conform_state(schema, frame)


def rows(frame: pl.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    """The records (of `columns`, default all) sorted, for order-free comparison."""
    picked = frame.select(list(columns) or frame.columns)
    return picked.sort(picked.columns, nulls_last=True).rows()


def updates(changes: FileChanges) -> list[tuple[Any, ...]]:
    """The long `updated` frame as sorted (key..., column, old, new) tuples."""
    return rows(changes.updated)


CURRENT = state(THINGS, ("1", "Ann", "3", "p1"), ("2", "Bob", "4", "p2"), ("3", "Cy", "5", None))


# -- next_state --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["full", "bulk"])
def test_full_and_bulk_replace_production_with_the_upload(how: str) -> None:
    staged = state(THINGS, ("1", "Ann", "6", "p1"), ("4", "Dee", "1", None))
    assert rows(next_state(THINGS, CURRENT, staged, how)) == rows(staged)


@pytest.mark.parametrize("how", ["full", "bulk"])
def test_full_and_bulk_keep_filtered_records_as_they_are(how: str) -> None:
    staged = state(THINGS, ("1", "Ann", "6", "p1"), ("4", "Dee", "1", None))
    kept = pl.DataFrame({"id": ["2", "9"]})  # 9 is not in production: nothing to keep
    after = next_state(THINGS, CURRENT, staged, how, kept=kept)
    assert rows(after) == [
        ("1", "Ann", "6", "p1"),
        ("2", "Bob", "4", "p2"),
        ("4", "Dee", "1", None),
    ]


def test_a_filtered_record_keeps_its_person_whatever_the_other_key_parts() -> None:
    """students.csv's key is (School_id, Student_id) and its object key Student_id: a row
    filtered with a mistyped School_id keeps the student at the real school."""
    names = ("School_id", "Student_id", "Last_name")
    current = state(STUDENTS, ("02M800", "7", "Khan"), ("02M800", "8", "Lee"), columns=names)
    staged = state(STUDENTS, ("02M800", "8", "Lee"), columns=names)
    kept = pl.DataFrame({"Student_id": ["7"]})  # the filtered row said School_id 02M8OO
    after = next_state(STUDENTS, current, staged, "full", kept=kept)
    assert rows(after, *names) == [("02M800", "7", "Khan"), ("02M800", "8", "Lee")]


def test_full_with_kept_keys_that_are_also_staged_takes_the_staged_record() -> None:
    staged = state(THINGS, ("2", "Bobby", "4", "p2"))
    after = next_state(THINGS, CURRENT, staged, "full", kept=pl.DataFrame({"id": ["2", "2"]}))
    assert rows(after) == [("2", "Bobby", "4", "p2")]


def test_full_with_no_kept_keys_is_the_upload() -> None:
    staged = state(THINGS, ("4", "Dee", "1", None))
    after = next_state(
        THINGS, CURRENT, staged, "full", kept=pl.DataFrame({"id": []}, schema={"id": pl.String})
    )
    assert rows(after) == [("4", "Dee", "1", None)]


def test_full_with_an_empty_upload_and_kept_keys_keeps_only_those() -> None:
    after = next_state(
        THINGS, CURRENT, empty_state(THINGS), "full", kept=pl.DataFrame({"id": ["3"]})
    )
    assert rows(after) == [("3", "Cy", "5", None)]


def test_incremental_adds_and_updates_and_removes_nothing() -> None:
    staged = state(THINGS, ("2", "Bob", "9", None), ("4", "Dee", "1", None))
    after = next_state(THINGS, CURRENT, staged, "incremental")
    assert rows(after) == [
        ("1", "Ann", "3", "p1"),
        ("2", "Bob", "9", None),
        ("3", "Cy", "5", None),
        ("4", "Dee", "1", None),
    ]


def test_incremental_ignores_kept_keys() -> None:
    staged = state(THINGS, ("4", "Dee", "1", None))
    after = next_state(THINGS, CURRENT, staged, "incremental", kept=pl.DataFrame({"id": ["1"]}))
    assert rows(after, "id") == [("1",), ("2",), ("3",), ("4",)]


def test_incremental_on_empty_production_is_the_upload() -> None:
    staged = state(THINGS, ("4", "Dee", "1", None))
    assert rows(next_state(THINGS, empty_state(THINGS), staged, "incremental")) == [
        ("4", "Dee", "1", None)
    ]


def test_incremental_with_a_two_column_key_replaces_only_the_same_pair() -> None:
    current = state(PAIRS, ("s1", "1", "Ann", "3"), ("s2", "1", "Ann", "3"))
    staged = state(PAIRS, ("s1", "1", "Ann", "4"))
    after = next_state(PAIRS, current, staged, "incremental")
    assert rows(after) == [("s1", "1", "Ann", "4"), ("s2", "1", "Ann", "3")]


def test_delta_upserts_active_and_deletes_tobedeleted() -> None:
    staged = state(THINGS, ("2", "Bob", "9", "p2"), ("4", "Dee", "1", None))
    deletes = state(
        THINGS, ("3", None, None, None), ("8", None, None, None)
    )  # 8: not in production
    after = next_state(THINGS, CURRENT, staged, "delta", deletes=deletes)
    assert rows(after) == [
        ("1", "Ann", "3", "p1"),
        ("2", "Bob", "9", "p2"),
        ("4", "Dee", "1", None),
    ]


def test_delta_deletes_by_key_only() -> None:
    deletes = pl.DataFrame({"id": ["1"], "name": ["a different name"]})
    after = next_state(THINGS, CURRENT, empty_state(THINGS), "delta", deletes=deletes)
    assert rows(after, "id") == [("2",), ("3",)]


def test_delta_on_oneroster_users() -> None:
    users = ONEROSTER_11.file("users.csv")
    cols = ("sourcedId", "status", "givenName")
    current = state(
        users, ("u1", None, "Ann"), ("u2", None, "Bob"), ("u3", None, "Cy"), columns=cols
    )
    staged = state(users, ("u2", "active", "Robert"), ("u4", "active", "Dee"), columns=cols)
    deletes = state(users, ("u1", "tobedeleted", None), columns=cols)
    after = next_state(users, current, staged, "delta", deletes=deletes)
    assert rows(after, *cols) == [
        ("u2", "active", "Robert"),
        ("u3", None, "Cy"),
        ("u4", "active", "Dee"),
    ]


def test_absent_leaves_production_unchanged() -> None:
    staged = state(THINGS, ("4", "Dee", "1", None))
    assert next_state(THINGS, CURRENT, staged, "absent").equals(CURRENT)


def test_next_state_conforms_the_upload_to_the_production_columns() -> None:
    staged = pl.DataFrame({"__row": [2], "name": ["Dee"], "id": ["4"], "extra": ["x"]})
    after = next_state(THINGS, CURRENT, staged, "incremental")
    assert after.columns == ["id", "name", "grade", "pin"]
    assert rows(after.filter(pl.col("id") == "4")) == [("4", "Dee", None, None)]


def test_state_key_is_the_identity_when_the_file_declares_no_key() -> None:
    assert state_key(APP_CREDENTIALS) == ["School_id", "User_id", "Username", "Application_id"]


def test_incremental_reupload_of_a_keyless_record_with_nulls_does_not_duplicate_it() -> None:
    cols = ("User_id", "Application_id", "Application_username", "Application_password")
    current = state(APP_CREDENTIALS, ("u1", "app", "ann", "pw"), columns=cols)
    assert next_state(APP_CREDENTIALS, current, current, "incremental").height == 1


def test_full_keeps_a_filtered_keyless_record_with_nulls() -> None:
    cols = ("User_id", "Application_id", "Application_username", "Application_password")
    current = state(
        APP_CREDENTIALS, ("u1", "app", "ann", "pw"), ("u2", "app", "bob", "pw"), columns=cols
    )
    staged = state(APP_CREDENTIALS, ("u2", "app", "bob", "pw"), columns=cols)
    kept = current.filter(pl.col("User_id") == "u1")
    assert rows(next_state(APP_CREDENTIALS, current, staged, "full", kept=kept)) == rows(current)


# -- diff ----------------------------------------------------------------------------------------


def test_diff_finds_added_removed_and_updated() -> None:
    new = state(THINGS, ("1", "Ann", "3", "p1"), ("2", "Bobby", "6", "p2"), ("4", "Dee", "1", None))
    changes = diff(THINGS, CURRENT, new)
    assert changes.counts() == {"added": 1, "updated": 1, "removed": 1}
    assert rows(changes.added) == [("4",)]
    assert rows(changes.removed) == [("3", "Cy", "5", None)]  # removed records are whole
    assert updates(changes) == [("2", "grade", "4", "6"), ("2", "name", "Bob", "Bobby")]
    assert changes.updated.columns == ["id", "column", "old", "new"]
    assert (changes.file, changes.key, changes.kept) == ("things.csv", ("id",), 0)


def test_diff_of_identical_states_is_empty() -> None:
    changes = diff(THINGS, CURRENT, CURRENT.reverse())
    assert changes.counts() == {"added": 0, "updated": 0, "removed": 0}
    assert changes.detail().height == 0


def test_diff_counts_null_to_value_and_value_to_null() -> None:
    current = state(THINGS, ("1", None, "3", None), ("2", "Bob", "4", None), ("3", "", "5", None))
    new = state(THINGS, ("1", "Ann", "3", None), ("2", "Bob", None, None), ("3", None, "5", None))
    changes = diff(THINGS, current, new)
    assert updates(changes) == [
        ("1", "name", None, "Ann"),
        ("2", "grade", "4", None),
        ("3", "name", "", None),
    ]
    assert changes.updated_records == 3


def test_diff_masks_secrets_and_says_only_that_they_changed() -> None:
    current = state(
        THINGS, ("1", "Ann", "3", "hunter2"), ("2", "Bob", "4", None), ("3", "Cy", "5", "same")
    )
    new = state(
        THINGS, ("1", "Ann", "3", "s3cret"), ("2", "Bob", "4", "new-pin"), ("3", "Cy", "5", "same")
    )
    changes = diff(THINGS, current, new)
    assert updates(changes) == [("1", "pin", MASK, MASK), ("2", "pin", MASK, MASK)]
    assert changes.updated_records == 2


def test_diff_masks_a_secret_but_not_the_other_fields_of_the_same_record() -> None:
    new = state(
        THINGS, ("1", "Anne", "3", "other"), ("2", "Bob", "4", "p2"), ("3", "Cy", "5", None)
    )
    changes = diff(THINGS, CURRENT, new)
    assert updates(changes) == [("1", "name", "Ann", "Anne"), ("1", "pin", MASK, MASK)]
    assert changes.counts() == {"added": 0, "updated": 1, "removed": 0}


def test_diff_masks_passport_student_passwords() -> None:
    cols = ("School_id", "Student_id", "Last_name", "First_name", "Password")
    current = state(STUDENTS, ("1", "s1", "Ng", "Ann", "old-pass"), columns=cols)
    new = state(STUDENTS, ("1", "s1", "Ng", "Ann", "new-pass"), columns=cols)
    assert updates(diff(STUDENTS, current, new)) == [("1", "s1", "Password", MASK, MASK)]


def test_diff_on_a_two_column_key_tells_apart_the_same_id_in_two_schools() -> None:
    current = state(PAIRS, ("s1", "1", "Ann", "3"), ("s2", "1", "Ann", "3"))
    new = state(PAIRS, ("s1", "1", "Ann", "4"), ("s3", "1", "Ann", "3"))
    changes = diff(PAIRS, current, new)
    assert (rows(changes.added), rows(changes.removed, "school", "id")) == (
        [("s3", "1")],
        [("s2", "1")],
    )
    assert updates(changes) == [("s1", "1", "grade", "3", "4")]


def test_diff_of_a_file_keyed_on_every_column_only_adds_and_removes() -> None:
    current = state(ENROLLMENTS, ("1", "581", "s1"), ("1", "581", "s2"))
    new = state(ENROLLMENTS, ("1", "581", "s2"), ("1", "582", "s1"))
    changes = diff(ENROLLMENTS, current, new)
    assert changes.counts() == {"added": 1, "updated": 0, "removed": 1}
    assert (rows(changes.added), rows(changes.removed)) == (
        [("1", "582", "s1")],
        [("1", "581", "s1")],
    )
    assert changes.updated.height == 0
    assert changes.updated.columns == [
        "School_id",
        "Section_id",
        "Student_id",
        "column",
        "old",
        "new",
    ]


def test_diff_from_empty_production_adds_everything() -> None:
    changes = diff(THINGS, empty_state(THINGS), CURRENT)
    assert changes.counts() == {"added": 3, "updated": 0, "removed": 0}
    assert rows(changes.added) == [("1",), ("2",), ("3",)]
    assert changes.updated.columns == ["id", "column", "old", "new"]


def test_diff_to_an_empty_state_removes_everything() -> None:
    changes = diff(THINGS, CURRENT, empty_state(THINGS))
    assert changes.counts() == {"added": 0, "updated": 0, "removed": 3}
    assert rows(changes.removed) == rows(CURRENT)


def test_diff_of_two_empty_states() -> None:
    changes = diff(THINGS, empty_state(THINGS), empty_state(THINGS))
    assert (changes.counts(), changes.detail().height) == (
        {"added": 0, "updated": 0, "removed": 0},
        0,
    )


def test_diff_carries_the_kept_count() -> None:
    assert diff(THINGS, CURRENT, CURRENT, kept=2).kept == 2


def test_diff_after_next_state_full_with_kept_does_not_remove_the_kept_record() -> None:
    staged = state(THINGS, ("1", "Ann", "3", "p1"))
    after = next_state(THINGS, CURRENT, staged, "full", kept=pl.DataFrame({"id": ["2"]}))
    changes = diff(THINGS, CURRENT, after, kept=1)
    assert (rows(changes.removed, "id"), changes.kept) == ([("3",)], 1)


# -- detail --------------------------------------------------------------------------------------


def test_detail_lists_added_then_updated_then_removed() -> None:
    new = state(
        THINGS, ("1", "Ann", "3", "other"), ("2", "Bobby", "4", "p2"), ("4", "Dee", "1", None)
    )
    detail = diff(THINGS, CURRENT, new).detail()
    assert detail.columns == ["change", "key", "name", "column", "old", "new"]
    assert detail.rows() == [
        ("added", "4", None, None, None, None),
        ("updated", "2", None, "name", "Bob", "Bobby"),
        ("updated", "1", None, "pin", MASK, MASK),
        ("removed", "3", None, None, None, None),
    ]


def test_detail_joins_a_many_column_key_with_slashes_and_shows_nulls_as_empty() -> None:
    current = state(PAIRS, ("s1", "1", "Ann", "3"), (None, "2", "Bob", "4"))
    new = state(PAIRS, ("s1", "1", "Ann", "4"), ("s1", "3", "Cy", "5"))
    assert diff(PAIRS, current, new).detail().rows() == [
        ("added", "s1 / 3", None, None, None, None),
        ("updated", "s1 / 1", None, "grade", "3", "4"),
        ("removed", " / 2", None, None, None, None),
    ]


def test_detail_of_enrollments() -> None:
    current = state(ENROLLMENTS, ("1", "581", "s1"))
    new = state(ENROLLMENTS, ("1", "582", "s1"))
    assert diff(ENROLLMENTS, current, new).detail().rows() == [
        ("added", "1 / 582 / s1", None, None, None, None),
        ("removed", "1 / 581 / s1", None, None, None, None),
    ]


def test_detail_names_the_records_added_updated_and_removed() -> None:
    current = state(THINGS, ("1", "Ann", "3", "p"), ("2", "Bob", "4", "p"), ("3", "Cy", "5", "p"))
    new = state(THINGS, ("1", "Ann", "3", "p"), ("2", "Bobby", "4", "p"), ("4", " Dee ", "1", "p"))
    detail = diff(THINGS, current, new).with_names(THINGS, new).detail(THINGS)
    assert detail.select("change", "key", "name").rows() == [
        ("added", "4", "Dee"),
        ("updated", "2", "Bobby"),  # the new name
        ("removed", "3", "Cy"),
    ]


def test_people_are_named_first_then_last_and_files_without_names_have_none() -> None:
    cols = ("School_id", "Student_id", "First_name", "Last_name")
    current = state(STUDENTS, ("02M800", "738733110", "Ana", "Lopez"), columns=cols)
    new = state(STUDENTS, ("02M800", "100", "Zoë", None), columns=cols)
    detail = diff(STUDENTS, current, new).with_names(STUDENTS, new).detail(STUDENTS)
    assert detail.select("change", "key", "name").rows() == [
        ("added", "02M800 / 100", "Zoë"),
        ("removed", "02M800 / 738733110", "Ana Lopez"),
    ]
    enrollments = diff(ENROLLMENTS, state(ENROLLMENTS), state(ENROLLMENTS, ("1", "5", "s1")))
    added = enrollments.with_names(ENROLLMENTS, state(ENROLLMENTS, ("1", "5", "s1")))
    assert added.detail(ENROLLMENTS).get_column("name").to_list() == [None]


def test_the_name_of_each_kind_of_record() -> None:
    one = pl.DataFrame({c: ["x"] for c in ONEROSTER_11.file("users.csv").column_names})
    one = one.with_columns(givenName=pl.lit("Ann"), familyName=pl.lit("Lee"))
    expected = {
        SCHOOLS: ("School_name", "PS 1"),
        SECTIONS: ("Name", "Algebra I"),
        ONEROSTER_11.file("orgs.csv"): ("name", "District"),
        ONEROSTER_11.file("classes.csv"): ("title", "Art 2"),
    }
    for schema, (column, value) in expected.items():
        name = record_name(schema)
        assert name is not None, schema.name
        frame = pl.DataFrame({c: [value if c == column else "z"] for c in schema.column_names})
        assert frame.select(name).item() == value, schema.name
    users = record_name(ONEROSTER_11.file("users.csv"))
    assert users is not None
    assert one.select(users).item() == "Ann Lee"
    assert record_name(ENROLLMENTS) is None


def test_detail_never_shows_a_secret_of_a_keyless_file() -> None:
    cols = ("User_id", "Application_id", "Application_username", "Application_password")
    current = state(APP_CREDENTIALS, ("u1", "app", "ann", "hunter2"), columns=cols)
    new = state(APP_CREDENTIALS, ("u1", "app", "ann", "s3cret"), columns=cols)
    text = " ".join(
        str(v) for row in diff(APP_CREDENTIALS, current, new).detail().rows() for v in row
    )
    assert "hunter2" not in text, text
    assert "s3cret" not in text, text


# -- ChangeSet -----------------------------------------------------------------------------------


def test_change_set_counts_per_file() -> None:
    new = state(THINGS, ("1", "Ann", "9", "p1"), ("4", "Dee", "1", None))
    enrollments = diff(
        ENROLLMENTS, state(ENROLLMENTS, ("1", "581", "s1")), empty_state(ENROLLMENTS)
    )
    changes = ChangeSet({"things.csv": diff(THINGS, CURRENT, new), "enrollments.csv": enrollments})
    assert changes.counts() == {
        "things.csv": {"added": 1, "updated": 1, "removed": 2},
        "enrollments.csv": {"added": 0, "updated": 0, "removed": 1},
    }
    assert changes.knock_on == ()


def test_removal_share_per_file_skips_files_empty_or_unknown_in_production() -> None:
    things = diff(THINGS, CURRENT, state(THINGS, ("1", "Ann", "3", "p1")))
    empty = diff(ENROLLMENTS, empty_state(ENROLLMENTS), state(ENROLLMENTS, ("1", "581", "s1")))
    untouched = diff(PAIRS, empty_state(PAIRS), empty_state(PAIRS))
    changes = ChangeSet({"things.csv": things, "enrollments.csv": empty, "pairs.csv": untouched})
    assert changes.removal_share({"things.csv": 3, "enrollments.csv": 0}) == {"things.csv": 2 / 3}


# -- knock-on effects ----------------------------------------------------------------------------


def removal(
    schema: FileSchema, *records: tuple[str | None, ...], columns: tuple[str, ...] = ()
) -> FileChanges:
    """The changes of a file whose `records` all go."""
    return diff(schema, state(schema, *records, columns=columns), empty_state(schema))


def test_removing_sections_removes_their_enrollments_counted_per_section() -> None:
    sections = removal(
        SECTIONS,
        ("1", "581", "t1"),
        ("1", "582", "t1"),
        ("1", "583", "t1"),
        columns=("School_id", "Section_id", "Teacher_id"),
    )
    enrollments = removal(
        ENROLLMENTS,
        ("1", "582", "s1"),
        *(("1", "581", f"s{n}") for n in range(1, 4)),
        ("1", "590", "s1"),  # its section stays: not a knock-on effect
    )
    effects = knock_on_effects(
        PASSPORT_ROSTER, {"sections.csv": sections, "enrollments.csv": enrollments}
    )
    assert effects == (
        KnockOn("sections.csv", "581", "enrollments.csv", 3),
        KnockOn("sections.csv", "582", "enrollments.csv", 1),
    )
    assert [e.sentence("section", "enrollment") for e in effects] == [
        "removing section 581 also removes its 3 enrollments",
        "removing section 582 also removes its 1 enrollment",
    ]


def test_knock_on_effects_are_sorted_by_count_descending() -> None:
    sections = removal(
        SECTIONS,
        *(("1", s, "t1") for s in ("a", "b", "c")),
        columns=("School_id", "Section_id", "Teacher_id"),
    )
    enrolled = [
        ("1", "a", "s1"),
        *(("1", "b", f"s{n}") for n in range(5)),
        *(("1", "c", f"s{n}") for n in range(3)),
    ]
    effects = knock_on_effects(
        PASSPORT_ROSTER,
        {"sections.csv": sections, "enrollments.csv": removal(ENROLLMENTS, *enrolled)},
    )
    assert [(e.key, e.count) for e in effects] == [("b", 5), ("c", 3), ("a", 1)]


def test_knock_on_effects_with_equal_counts_come_in_a_stable_order() -> None:
    keys = [str(n) for n in range(6)]
    sections = removal(
        SECTIONS, *(("1", k, "t1") for k in keys), columns=("School_id", "Section_id", "Teacher_id")
    )
    enrollments = removal(ENROLLMENTS, *(("1", k, s) for k in keys for s in ("s1", "s2")))
    files = {"sections.csv": sections, "enrollments.csv": enrollments}
    orders = {tuple(e.key for e in knock_on_effects(PASSPORT_ROSTER, files)) for _ in range(30)}
    assert orders == {tuple(keys)}


def test_removing_a_school_removes_everything_in_it() -> None:
    # counts differ within each target, so the order does not depend on ties (see the xfail)
    sections = (("1", "581", "t1"), ("1", "582", "t1"))
    files = {
        "schools.csv": removal(SCHOOLS, ("1", "North"), columns=("School_id", "School_name")),
        "students.csv": removal(
            STUDENTS, ("1", "s1"), ("1", "s2"), columns=("School_id", "Student_id")
        ),
        "teachers.csv": removal(TEACHERS, ("1", "t1"), columns=("School_id", "Teacher_id")),
        "sections.csv": removal(
            SECTIONS, *sections, columns=("School_id", "Section_id", "Teacher_id")
        ),
        "enrollments.csv": removal(
            ENROLLMENTS, ("1", "581", "s1"), ("1", "582", "s1"), ("1", "581", "s2")
        ),
    }
    assert knock_on_effects(PASSPORT_ROSTER, files) == (
        KnockOn("schools.csv", "1", "students.csv", 2),
        KnockOn("schools.csv", "1", "teachers.csv", 1),
        KnockOn("schools.csv", "1", "sections.csv", 2),
        KnockOn("schools.csv", "1", "enrollments.csv", 3),
        KnockOn("sections.csv", "581", "enrollments.csv", 2),
        KnockOn("sections.csv", "582", "enrollments.csv", 1),
        KnockOn("students.csv", "s1", "enrollments.csv", 2),
        KnockOn("students.csv", "s2", "enrollments.csv", 1),
    )


def test_advisory_references_have_no_knock_on_effects() -> None:
    # sections.Teacher_id → teachers is advisory (Info): a section outlives its teacher
    files = {
        "teachers.csv": removal(TEACHERS, ("1", "t1"), columns=("School_id", "Teacher_id")),
        "sections.csv": removal(
            SECTIONS, ("2", "581", "t1"), columns=("School_id", "Section_id", "Teacher_id")
        ),
    }
    assert knock_on_effects(PASSPORT_ROSTER, files) == ()


def test_no_knock_on_effects_without_removals_on_both_sides() -> None:
    sections = removal(
        SECTIONS, ("1", "581", "t1"), columns=("School_id", "Section_id", "Teacher_id")
    )
    untouched = diff(
        ENROLLMENTS, state(ENROLLMENTS, ("1", "581", "s1")), state(ENROLLMENTS, ("1", "581", "s1"))
    )
    assert (
        knock_on_effects(PASSPORT_ROSTER, {"sections.csv": sections, "enrollments.csv": untouched})
        == ()
    )
    assert knock_on_effects(PASSPORT_ROSTER, {"sections.csv": sections}) == ()


def test_removing_a_oneroster_class_removes_its_enrollments() -> None:
    classes = removal(ONEROSTER_11.file("classes.csv"), ("c1",), ("c2",), columns=("sourcedId",))
    cols = ("sourcedId", "classSourcedId")
    enrollments = removal(
        ONEROSTER_11.file("enrollments.csv"), ("e1", "c1"), ("e2", "c1"), ("e3", "c9"), columns=cols
    )
    effects = knock_on_effects(
        ONEROSTER_11, {"classes.csv": classes, "enrollments.csv": enrollments}
    )
    assert effects == (KnockOn("classes.csv", "c1", "enrollments.csv", 2),)


def test_knock_on_sentence_singular_and_plural() -> None:
    assert KnockOn("sections.csv", "581", "enrollments.csv", 32).sentence(
        "section", "enrollment"
    ) == ("removing section 581 also removes its 32 enrollments")
    assert KnockOn("schools.csv", "1", "students.csv", 1).sentence("school", "student") == (
        "removing school 1 also removes its 1 student"
    )


# -- property: applying the diff to the current state gives the new one ------------------------

VALUES = st.sampled_from([None, "", "a", "b", "a / b"])
KEYS = st.tuples(st.sampled_from(["s1", "s2", ""]), st.sampled_from(["1", "2", "3", "1 / 2"]))
STATES = st.dictionaries(KEYS, st.tuples(VALUES, VALUES), max_size=8)


def pairs_frame(records: dict[tuple[str, str], tuple[str | None, str | None]]) -> pl.DataFrame:
    return state(PAIRS, *((*k, *v) for k, v in records.items()))


@settings(max_examples=300, deadline=None)
@given(current=STATES, new=STATES)
def test_applying_the_diff_to_current_yields_new(
    current: dict[tuple[str, str], tuple[str | None, str | None]],
    new: dict[tuple[str, str], tuple[str | None, str | None]],
) -> None:
    changes = diff(PAIRS, pairs_frame(current), pairs_frame(new))
    result = {k: dict(zip(("name", "grade"), v, strict=True)) for k, v in current.items()}
    for school, id_, *_ in changes.removed.rows():
        del result[(school, id_)]
    for school, id_, column, old, value in changes.updated.rows():
        assert result[(school, id_)][column] == old  # old is what production had
        result[(school, id_)][column] = value
    for school, id_ in changes.added.rows():
        assert (school, id_) not in result
        result[(school, id_)] = dict(zip(("name", "grade"), new[(school, id_)], strict=True))
    assert {k: (v["name"], v["grade"]) for k, v in result.items()} == new
    assert changes.updated_records == changes.updated.select("school", "id").unique().height
    assert changes.updated_records == sum(
        1 for k in current.keys() & new.keys() if current[k] != new[k]
    )


def test_detail_is_paged_and_filtered_by_change() -> None:
    current = state(ENROLLMENTS, *(("1", str(n), "s1") for n in range(5)))
    new = state(ENROLLMENTS, *(("1", str(n), "s1") for n in range(3, 8)))
    changes = diff(ENROLLMENTS, current, new)
    assert changes.page(0, 2).get_column("change").to_list() == ["added", "added"]
    assert changes.page(1, 10, change="removed").get_column("key").to_list() == [
        "1 / 1 / s1",
        "1 / 2 / s1",
    ]


def test_kept_rows_are_each_row_of_production_whose_key_was_filtered_once() -> None:
    pairs = pl.DataFrame({"a": ["1", "1", "2", None], "b": ["x", "y", "x", "x"], "v": list("pqrs")})
    kept = pl.DataFrame({"a": ["1", "1", None, "9"], "b": ["y", "y", "x", "x"]})
    found = kept_rows(pairs, kept, ["a", "b"])
    assert found.get_column("v").to_list() == ["q", "s"]  # once each; a null part equals null
    assert kept_rows(pairs, kept.clear(), ["a", "b"]).height == 0


def test_when_every_row_is_kept_production_itself_is_the_answer_not_a_copy() -> None:
    """At 1M filtered students the copy was 500 MB of the upload's peak."""
    assert kept_rows(CURRENT, CURRENT.select("id"), ["id"]) is CURRENT
