"""`oneroster-1.1` → the canonical roster: the CSV files as given, in the REST binding's JSON.

CSV `xSourcedId` columns become GUIDRefs (`orgSourcedIds` → `orgs`, `termSourcedIds` →
`terms`, …), comma-separated lists become JSON lists, `userIds` (`{type:id},…`) a list of
`{"type", "identifier"}`. `status` and `dateLastModified` are the store's, `password` is
never delivered, and the gradebook and resource files are not part of the roster.

References are kept only when they resolve within the roster: an optional one (a parent, a
course's schoolYear) or a list item that does not is left out; an object whose required
reference does not (a class without its course or school, an enrollment without its class,
user or school, a course without its org) is left out, as validation would filter it.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from rosterport.domain.roster import values
from rosterport.domain.roster.mapping import not_delivered, rows, source_state
from rosterport.domain.roster.objects import DEMOGRAPHIC_FIELDS, TEXTS, build
from rosterport.domain.schemas.oneroster import ONEROSTER_11

MODEL = ONEROSTER_11.name
NOT_ROSTER = (
    "categories.csv",
    "resources.csv",
    "classResources.csv",
    "courseResources.csv",
    "lineItems.csv",
    "results.csv",
)


def _known(ids: pl.Expr, known: pl.Series) -> pl.Expr:
    """`ids` where they name a known object, else null."""
    return pl.when(ids.is_in(known.implode())).then(ids)


def _known_items(lists: pl.Expr, known: pl.Series) -> pl.Expr:
    """Lists with only their items that name a known object."""
    return lists.list.eval(pl.element().filter(pl.element().is_in(known.implode())))


def _with_children(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (sourcedId, parentSourcedId) with `parent` (when it resolves) and `children`
    (the sorted ids of the objects whose parent it is)."""
    ids = frame.get_column("sourcedId")
    frame = frame.with_columns(_known(pl.col("parentSourcedId"), ids).alias("parent"))
    children = (
        frame.filter(pl.col("parent").is_not_null())
        .group_by("parent")
        .agg(pl.col("sourcedId").sort().alias("children"))
        .rename({"parent": "sourcedId"})
    )
    return frame.join(children, on="sourcedId", how="left", maintain_order="left")


def _school_of(orgs: pl.DataFrame) -> pl.DataFrame:
    """org sourcedId → the school it is or belongs to (its parent school), if any."""
    types = orgs.select("sourcedId", "type", "parent")
    parents = types.select(pl.col("sourcedId").alias("parent"), pl.col("type").alias("parent_type"))
    return (
        types.join(parents, on="parent", how="left")
        .select(
            pl.col("sourcedId").alias("org"),
            pl.when(pl.col("type") == "school")
            .then(pl.col("sourcedId"))
            .when(pl.col("parent_type") == "school")
            .then(pl.col("parent"))
            .alias("school"),
        )
        .filter(pl.col("school").is_not_null())
    )


def _schools(orgs: pl.Expr, school_of: pl.DataFrame) -> pl.Expr:
    """The schools (school_of) of one org id, as a list."""
    school = orgs.replace_strict(
        school_of.get_column("org"),
        school_of.get_column("school"),
        default=None,
        return_dtype=pl.String,
    )
    return values.listed(school).alias("schools")


def roster(states: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The canonical roster of a oneroster-1.1 state."""

    def state(file: str) -> pl.DataFrame:
        frame = source_state(ONEROSTER_11, states, file)
        return frame.filter(pl.col("sourcedId").is_not_null())

    orgs = _with_children(state("orgs.csv"))
    org_ids = orgs.get_column("sourcedId")
    school_of = _school_of(orgs)
    sessions = _with_children(state("academicSessions.csv"))
    session_ids = sessions.get_column("sourcedId")

    courses = state("courses.csv").filter(pl.col("orgSourcedId").is_in(org_ids.implode()))
    course_ids = courses.get_column("sourcedId")
    classes = state("classes.csv").filter(
        pl.col("courseSourcedId").is_in(course_ids.implode())
        & pl.col("schoolSourcedId").is_in(org_ids.implode())
    )
    class_ids = classes.get_column("sourcedId")
    users = state("users.csv")
    user_ids = users.get_column("sourcedId")
    users = users.with_columns(
        _known_items(values.split_list(pl.col("orgSourcedIds")), org_ids).alias("orgs")
    )
    user_schools = users.select(
        "sourcedId",
        pl.col("orgs")
        .list.eval(
            pl.element()
            .replace_strict(
                school_of.get_column("org"),
                school_of.get_column("school"),
                default=None,
                return_dtype=pl.String,
            )
            .drop_nulls()
            .unique(maintain_order=True)
        )
        .alias("schools"),
    )
    enrollments = state("enrollments.csv").filter(
        pl.col("classSourcedId").is_in(class_ids.implode())
        & pl.col("userSourcedId").is_in(user_ids.implode())
        & pl.col("schoolSourcedId").is_in(org_ids.implode())
    )
    demographics = state("demographics.csv").join(user_schools, on="sourcedId", how="inner")

    return {
        "orgs": build(
            "orgs",
            orgs.select(
                "sourcedId",
                "name",
                "type",
                "identifier",
                "parent",
                pl.col("children").cast(TEXTS),
                _schools(pl.col("sourcedId"), school_of),
            ),
        ),
        "academicSessions": build(
            "academicSessions",
            sessions.select(
                "sourcedId",
                "title",
                "startDate",
                "endDate",
                "type",
                "parent",
                pl.col("children").cast(TEXTS),
                "schoolYear",
            ),
        ),
        "courses": build(
            "courses",
            courses.select(
                "sourcedId",
                "title",
                _known(pl.col("schoolYearSourcedId"), session_ids).alias("schoolYear"),
                "courseCode",
                values.split_list(pl.col("grades")).alias("grades"),
                values.split_list(pl.col("subjects")).alias("subjects"),
                pl.col("orgSourcedId").alias("org"),
                values.split_list(pl.col("subjectCodes")).alias("subjectCodes"),
                _schools(pl.col("orgSourcedId"), school_of),
            ),
        ),
        "classes": build(
            "classes",
            classes.select(
                "sourcedId",
                "title",
                "classCode",
                "classType",
                "location",
                values.split_list(pl.col("grades")).alias("grades"),
                values.split_list(pl.col("subjects")).alias("subjects"),
                pl.col("courseSourcedId").alias("course"),
                pl.col("schoolSourcedId").alias("school"),
                _known_items(values.split_list(pl.col("termSourcedIds")), session_ids).alias(
                    "terms"
                ),
                values.split_list(pl.col("subjectCodes")).alias("subjectCodes"),
                values.split_list(pl.col("periods")).alias("periods"),
                _schools(pl.col("schoolSourcedId"), school_of),
            ),
        ),
        "users": build(
            "users",
            users.join(user_schools, on="sourcedId", how="left", maintain_order="left").select(
                "sourcedId",
                "username",
                _user_ids(pl.col("userIds")).alias("userIds"),
                "enabledUser",
                "givenName",
                "familyName",
                "middleName",
                "role",
                "identifier",
                "email",
                "sms",
                "phone",
                _known_items(values.split_list(pl.col("agentSourcedIds")), user_ids).alias(
                    "agents"
                ),
                "orgs",
                values.split_list(pl.col("grades")).alias("grades"),
                "schools",
            ),
        ),
        "enrollments": build(
            "enrollments",
            enrollments.select(
                "sourcedId",
                pl.col("userSourcedId").alias("user"),
                pl.col("classSourcedId").alias("class"),
                pl.col("schoolSourcedId").alias("school"),
                "role",
                "primary",
                "beginDate",
                "endDate",
                _schools(pl.col("schoolSourcedId"), school_of),
            ),
        ),
        "demographics": build(
            "demographics",
            demographics.select("sourcedId", *DEMOGRAPHIC_FIELDS, "schools"),
        ),
    }


_USER_ID = r"\{[^{}:]+:[^{}]+\}"


def _user_ids(text: pl.Expr) -> pl.Expr:
    """`{type:id},{type:id}` as a list of {"type", "identifier"} (the identifier may hold
    colons; the type may not)."""
    return text.str.extract_all(_USER_ID).list.eval(
        pl.struct(
            pl.element().str.extract(r"^\{\s*([^:]*?)\s*:", 1).alias("type"),
            pl.element().str.extract(r"^\{[^:]*:\s*(.*?)\s*\}$", 1).alias("identifier"),
        )
    )


_STORE = "the store's: each version's status and commit time"

ROWS = rows(
    MODEL,
    [
        *(
            row
            for file in (
                "orgs.csv",
                "academicSessions.csv",
                "courses.csv",
                "classes.csv",
                "users.csv",
                "demographics.csv",
                "enrollments.csv",
            )
            for row in (
                (file, "sourcedId", f"{file.removesuffix('.csv')}.sourcedId", ""),
                *not_delivered(file, ("status", "dateLastModified"), _STORE),
            )
        ),
        ("orgs.csv", "name", "orgs.name", ""),
        ("orgs.csv", "type", "orgs.type", ""),
        ("orgs.csv", "identifier", "orgs.identifier", ""),
        (
            "orgs.csv",
            "parentSourcedId",
            "orgs.parent orgs.children",
            "GUIDRef; `children`: the orgs whose parent it is",
        ),
        ("academicSessions.csv", "title", "academicSessions.title", ""),
        ("academicSessions.csv", "type", "academicSessions.type", ""),
        ("academicSessions.csv", "startDate", "academicSessions.startDate", ""),
        ("academicSessions.csv", "endDate", "academicSessions.endDate", ""),
        (
            "academicSessions.csv",
            "parentSourcedId",
            "academicSessions.parent academicSessions.children",
            "GUIDRef; `children`: the sessions whose parent it is",
        ),
        ("academicSessions.csv", "schoolYear", "academicSessions.schoolYear", ""),
        ("courses.csv", "schoolYearSourcedId", "courses.schoolYear", "GUIDRef"),
        ("courses.csv", "title", "courses.title", ""),
        ("courses.csv", "courseCode", "courses.courseCode", ""),
        ("courses.csv", "grades", "courses.grades", "list"),
        ("courses.csv", "orgSourcedId", "courses.org", "GUIDRef"),
        ("courses.csv", "subjects", "courses.subjects", "list"),
        ("courses.csv", "subjectCodes", "courses.subjectCodes", "list"),
        ("classes.csv", "title", "classes.title", ""),
        ("classes.csv", "grades", "classes.grades", "list"),
        ("classes.csv", "courseSourcedId", "classes.course", "GUIDRef"),
        ("classes.csv", "classCode", "classes.classCode", ""),
        ("classes.csv", "classType", "classes.classType", ""),
        ("classes.csv", "location", "classes.location", ""),
        ("classes.csv", "schoolSourcedId", "classes.school", "GUIDRef"),
        ("classes.csv", "termSourcedIds", "classes.terms", "list of GUIDRefs"),
        ("classes.csv", "subjects", "classes.subjects", "list"),
        ("classes.csv", "subjectCodes", "classes.subjectCodes", "list"),
        ("classes.csv", "periods", "classes.periods", "list"),
        ("users.csv", "enabledUser", "users.enabledUser", ""),
        ("users.csv", "orgSourcedIds", "users.orgs", "list of GUIDRefs"),
        ("users.csv", "role", "users.role", ""),
        ("users.csv", "username", "users.username", ""),
        ("users.csv", "userIds", "users.userIds", '`{type:id}` → `{"type", "identifier"}`'),
        ("users.csv", "givenName", "users.givenName", ""),
        ("users.csv", "familyName", "users.familyName", ""),
        ("users.csv", "middleName", "users.middleName", ""),
        ("users.csv", "identifier", "users.identifier", ""),
        ("users.csv", "email", "users.email", ""),
        ("users.csv", "sms", "users.sms", ""),
        ("users.csv", "phone", "users.phone", ""),
        ("users.csv", "agentSourcedIds", "users.agents", "list of GUIDRefs"),
        ("users.csv", "grades", "users.grades", "list"),
        *not_delivered("users.csv", ("password",), "a secret: never delivered"),
        *(
            ("demographics.csv", column, f"demographics.{column}", "")
            for column in DEMOGRAPHIC_FIELDS
        ),
        ("enrollments.csv", "classSourcedId", "enrollments.class", "GUIDRef"),
        ("enrollments.csv", "schoolSourcedId", "enrollments.school", "GUIDRef"),
        ("enrollments.csv", "userSourcedId", "enrollments.user", "GUIDRef"),
        ("enrollments.csv", "role", "enrollments.role", ""),
        ("enrollments.csv", "primary", "enrollments.primary", ""),
        ("enrollments.csv", "beginDate", "enrollments.beginDate", ""),
        ("enrollments.csv", "endDate", "enrollments.endDate", ""),
        *(
            (file, "*", "", "gradebook and resources: not part of the roster")
            for file in NOT_ROSTER
        ),
    ],
)
