"""sourcedIds of the canonical roster: taken from the data where it has them, derived
deterministically from keys where it does not, never random.

Rules (docs/roster-api.md, "Identifiers"):
- students: `Student_id` as it is — unless it starts with a prefix reserved for users
  (`student-`, `teacher-`, `staff-`), then `student-` + Student_id;
- teachers (passport-roster teachers.csv, sections' Teacher_id…): `teacher-` + Teacher_id;
- administrators and staff (admins.csv, passport-identity staff.csv): `staff-` + Staff_id;
  so a student, a teacher and a staff member with the same SIS id are three users, and no
  two rules can give the same id (the prefixes are disjoint, and a bare student id never
  starts with one of them);
- schools: `School_id` as it is — unless it starts with `school-` or `district-` or equals
  the district's sourcedId, then `school-` + School_id;
- classes: `Section_id`; OneRoster objects: their `sourcedId`;
- derived courses and terms: `course-` / `term-` + the first 20 hex digits (80 bits) of the
  SHA-256 of their key text (the key's values joined by U+001F, a missing value written as
  U+0000: neither can occur in a value, so different keys have different texts);
- derived enrollments: `enrollment-` + the length of the class id + `-` + class id + `-` +
  user id: readable, and the length makes it unambiguous.

Digests are computed with hashlib, on the unique keys only (polars' own `hash` is not stable
between polars versions).
"""

from __future__ import annotations

import hashlib
from typing import Final

import polars as pl

STUDENT: Final = "student-"
TEACHER: Final = "teacher-"
STAFF: Final = "staff-"
SCHOOL: Final = "school-"
DISTRICT: Final = "district-"
COURSE: Final = "course-"
TERM: Final = "term-"
ENROLLMENT: Final = "enrollment-"

USER_PREFIXES: Final = (STUDENT, TEACHER, STAFF)
DIGEST_HEX: Final = 20

_SEPARATOR: Final = "\x1f"
_MISSING: Final = "\x00"


def _starts_with_any(ids: pl.Expr, prefixes: tuple[str, ...]) -> pl.Expr:
    return pl.any_horizontal(*(ids.str.starts_with(p) for p in prefixes))


def student_id(ids: pl.Expr) -> pl.Expr:
    """A student's user sourcedId from their Student_id."""
    return (
        pl.when(_starts_with_any(ids, USER_PREFIXES))
        .then(pl.concat_str(pl.lit(STUDENT), ids))
        .otherwise(ids)
    )


def teacher_id(ids: pl.Expr) -> pl.Expr:
    """A teacher's user sourcedId from their Teacher_id."""
    return pl.concat_str(pl.lit(TEACHER), ids)


def staff_id(ids: pl.Expr) -> pl.Expr:
    """An administrator's or staff member's user sourcedId from their Staff_id."""
    return pl.concat_str(pl.lit(STAFF), ids)


def school_id(ids: pl.Expr, district: str) -> pl.Expr:
    """A school org's sourcedId from its School_id (never the district's id)."""
    reserved = _starts_with_any(ids, (SCHOOL, DISTRICT)) | (ids == district)
    return pl.when(reserved).then(pl.concat_str(pl.lit(SCHOOL), ids)).otherwise(ids)


def enrollment_id(class_ids: pl.Expr, user_ids: pl.Expr) -> pl.Expr:
    """A derived enrollment's sourcedId from its class and user sourcedIds."""
    return pl.concat_str(
        pl.lit(ENROLLMENT),
        class_ids.str.len_chars().cast(pl.String),
        pl.lit("-"),
        class_ids,
        pl.lit("-"),
        user_ids,
    )


def key_text(*parts: pl.Expr) -> pl.Expr:
    """The text a derived id digests: the key's values joined, missing ones marked."""
    return pl.concat_str(
        [p.cast(pl.String).fill_null(_MISSING) for p in parts], separator=_SEPARATOR
    )


def digest_id(prefix: str, text: pl.Expr) -> pl.Expr:
    """`prefix` + the short SHA-256 digest of each key text. Evaluate it on unique keys only:
    it runs hashlib once per value."""
    return pl.concat_str(pl.lit(prefix), text.map_batches(_digests, return_dtype=pl.String))


def _digests(texts: pl.Series) -> pl.Series:
    return pl.Series(
        texts.name,
        [hashlib.sha256(t.encode("utf-8")).hexdigest()[:DIGEST_HEX] for t in texts.to_list()],
        dtype=pl.String,
    )
