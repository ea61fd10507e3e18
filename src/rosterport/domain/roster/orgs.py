"""The orgs of a Passport roster: the district (the organization itself) and its schools."""

from __future__ import annotations

import polars as pl

from rosterport.domain.roster.ids import school_id
from rosterport.domain.roster.mapping import DISTRICT_SOURCE, NO_SOURCE, Row
from rosterport.domain.roster.objects import TEXTS, District, build


def school_orgs(
    schools: pl.DataFrame, district: District, *, identifier: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The orgs collection (the district, then one school per School_id) and the school
    map: `School_id` → `org` (the school org's sourcedId), for the files that name schools.

    `identifier`: the schools.csv column written as the school's `identifier`, if any.
    """
    rows = schools.filter(pl.col("School_id").is_not_null()).with_columns(
        school_id(pl.col("School_id"), district.sourced_id).alias("org")
    )
    school_map = rows.select("School_id", "org")
    school_rows = rows.select(
        pl.col("org").alias("sourcedId"),
        pl.col("School_name").alias("name"),
        pl.lit("school").alias("type"),
        (pl.col(identifier) if identifier else pl.lit(None, dtype=pl.String)).alias("identifier"),
        pl.lit(district.sourced_id).alias("parent"),
        pl.concat_list(pl.col("org")).alias("schools"),
    )
    district_row = pl.DataFrame(
        {
            "sourcedId": [district.sourced_id],
            "name": [district.name],
            "type": ["district"],
            "identifier": [district.identifier],
            "children": [sorted(school_map.get_column("org").to_list())],
            "schools": [[]],
        },
        schema={
            "sourcedId": pl.String,
            "name": pl.String,
            "type": pl.String,
            "identifier": pl.String,
            "children": TEXTS,
            "schools": TEXTS,
        },
    )
    orgs = pl.concat([district_row, school_rows], how="diagonal_relaxed")
    return build("orgs", orgs), school_map


# what both Passport models map the same way
ORG_ROWS: list[Row] = [
    (
        DISTRICT_SOURCE,
        "sourced_id",
        "orgs.sourcedId orgs.parent",
        "the district org; every school's parent",
    ),
    (DISTRICT_SOURCE, "name", "orgs.name", "the district org's name"),
    (DISTRICT_SOURCE, "identifier", "orgs.identifier", "the district org's identifier"),
    (NO_SOURCE, NO_SOURCE, "orgs.type", "`district` for the district, `school` for a school"),
    (
        "schools.csv",
        "School_id",
        "orgs.sourcedId orgs.children",
        "a school org; the district's children",
    ),
    ("schools.csv", "School_name", "orgs.name", ""),
]
