"""People of a Passport roster (students, teachers, administrators, staff) as OneRoster
users and demographics.

A Passport file lists a person once per school (students.csv is keyed by School_id and
Student_id): the person is one user, whose `orgs` are every school listed, sorted by
sourcedId; the other fields come from the person's row with the lowest School_id, so the
result does not depend on the order of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from rosterport.domain.roster import values


def merge_people(rows: pl.DataFrame, id_column: str, school_map: pl.DataFrame) -> pl.DataFrame:
    """One row per person of `rows` (named by `id_column`), with `orgs`: the sorted school
    org ids of all their rows. Rows naming no known school are left out."""
    known = rows.filter(pl.col(id_column).is_not_null()).join(
        school_map, on="School_id", how="inner"
    )
    several = known.get_column(id_column).is_duplicated()
    if not several.any():  # one school each: the common case, nothing to merge
        return known.with_columns(pl.concat_list(pl.col("org")).alias("orgs"))
    # only the people listed at several schools are sorted and merged
    ordered = known.filter(several).sort([id_column, "School_id"])
    firsts = ordered.unique(subset=[id_column], keep="first", maintain_order=True)
    orgs = ordered.group_by(id_column, maintain_order=True).agg(
        pl.col("org").unique().sort().alias("orgs")
    )
    merged = firsts.join(orgs, on=id_column, how="left", maintain_order="left")
    single = known.filter(~several).with_columns(pl.concat_list(pl.col("org")).alias("orgs"))
    return pl.concat([single, merged], how="vertical")


def _column(frame: pl.DataFrame, name: str | None) -> pl.Expr:
    if name is None or name not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    return pl.col(name)


@dataclass(frozen=True, slots=True)
class PersonColumns:
    """Which columns of a Passport person file give which user fields (None: none)."""

    id: str
    email: str | None
    identifier: str | None = None
    state_id: str | None = None
    grade: str | None = None
    middle_name: str | None = "Middle_name"


def users(
    people: pl.DataFrame,
    cols: PersonColumns,
    *,
    sourced_id: pl.Expr,
    role: pl.Expr,
    metadata: pl.Expr | None = None,
) -> pl.DataFrame:
    """The field frame of users from merged people (`merge_people`).

    `username` is Username, else the e-mail address, else the person's SIS id: OneRoster
    requires one. The password is never read."""
    email = _column(people, cols.email)
    state = _column(people, cols.state_id)
    user_ids = pl.when(state.is_not_null()).then(
        pl.concat_list(pl.struct(pl.lit("state").alias("type"), state.alias("identifier")))
    )
    grade = values.ceds_grade(_column(people, cols.grade))
    return people.select(
        sourced_id.alias("sourcedId"),
        (metadata if metadata is not None else pl.lit(None)).alias("metadata"),
        pl.coalesce(_column(people, "Username"), email, pl.col(cols.id)).alias("username"),
        user_ids.alias("userIds"),
        pl.lit("true").alias("enabledUser"),
        _column(people, "First_name").alias("givenName"),
        _column(people, "Last_name").alias("familyName"),
        _column(people, cols.middle_name).alias("middleName"),
        role.alias("role"),
        _column(people, cols.identifier).alias("identifier"),
        email.alias("email"),
        pl.col("orgs"),
        values.listed(grade).alias("grades"),
        pl.col("orgs").alias("schools"),
    )


def demographics(
    people: pl.DataFrame,
    *,
    sourced_id: pl.Expr,
    race: str | None = None,
    hispanic: str | None = None,
) -> pl.DataFrame:
    """The field frame of demographics from merged students: DOB, Gender and, when the
    model has them, Race and Hispanic_Latino. Students without any of them have none."""
    race_code = _column(people, race)
    fields = [
        _column(people, "DOB").alias("birthDate"),
        values.sex(_column(people, "Gender")).alias("sex"),
        *(values.race_flag(race_code, code).alias(f) for code, f in values.RACE_FLAGS.items()),
        values.boolean(_column(people, hispanic)).alias("hispanicOrLatinoEthnicity"),
    ]
    frame = people.select(sourced_id.alias("sourcedId"), *fields, pl.col("orgs").alias("schools"))
    given = [f for f in frame.columns if f not in {"sourcedId", "schools"}]
    return frame.filter(pl.any_horizontal(pl.col(given).is_not_null()))
