"""The SCIM push plan, pure: create the in-scope accounts never sent, replace the changed
(or suspended, or reactivated) ones, delete the deleted and the out-of-scope ones; the User
attributes of an account."""

from __future__ import annotations

import polars as pl

from rosterport.domain import scim as domain

COLUMNS = ("sourced_id", "role", "given_name", "middle_name", "family_name", "email",
           "username", "schools", "school_ids", "state", "digest")  # fmt: skip


def accounts(*rows: tuple[str, ...]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=dict.fromkeys(COLUMNS, pl.String), orient="row")


def sent(*rows: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema={"sourced_id": pl.String, "scim_id": pl.String, "fingerprint": pl.String},
        orient="row",
    )


DIRECTORY = accounts(
    ("new", "student", "A", None, "B", "a@x.org", "ab", "|s1|", "|1|", "active", "d1"),
    ("same", "student", "C", None, "D", None, None, "|s1|", "|1|", "active", "d2"),
    ("changed", "teacher", "E", None, "F", None, "ef", "|s1|s2|", "|1|2|", "active", "d3-new"),
    ("away", "student", "G", None, "H", None, "gh", "|s2|", "|2|", "suspended", "d4"),
    ("gone", "student", "I", None, "J", None, "ij", "|s1|", "|1|", "deleted", "d5"),
)
SENT = sent(
    ("same", "u2", "d2:active"),
    ("changed", "u3", "d3:active"),
    ("away", "u4", "d4:active"),
    ("gone", "u5", "d5:active"),
)


def keys(frame: pl.DataFrame) -> list[str]:
    return frame.get_column("sourced_id").to_list()


def test_create_replace_delete() -> None:
    plan = domain.plan(DIRECTORY, SENT, (), ())
    assert keys(plan.create) == ["new"]
    assert keys(plan.replace) == ["away", "changed"]  # suspended: active false; changed
    assert plan.replace.get_column("scim_id").to_list() == ["u4", "u3"]
    assert keys(plan.delete) == ["gone"]
    assert plan.counts == {"create": 1, "replace": 2, "delete": 1}


def test_roles_and_schools_scope_the_plan() -> None:
    teachers = domain.plan(DIRECTORY, SENT, ("teacher",), ())
    assert keys(teachers.create) == []
    assert keys(teachers.delete) == ["away", "gone", "same"]  # no longer in its scope
    by_sis_id = domain.plan(DIRECTORY, SENT, (), ("2",))
    by_sourced_id = domain.plan(DIRECTORY, SENT, (), ("s2",))
    assert keys(by_sis_id.replace) == keys(by_sourced_id.replace) == ["away", "changed"]
    assert keys(by_sis_id.delete) == ["gone", "same"]


def test_user_attributes() -> None:
    row = DIRECTORY.row(0, named=True)
    assert domain.user_attributes(row) == {
        "external_id": "new",
        "user_name": "ab",
        "active": True,
        "name": {"given_name": "A", "family_name": "B"},
        "display_name": "A B",
        "emails": [{"value": "a@x.org", "primary": True, "type": "work"}],
        "user_type": "student",
    }
    no_username = domain.user_attributes(DIRECTORY.row(1, named=True))
    assert no_username["user_name"] == "same"  # neither username nor e-mail: the sourcedId
    assert domain.user_attributes(DIRECTORY.row(3, named=True))["active"] is False
