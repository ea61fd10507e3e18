"""The accounts directory's rules (spec/accounts-and-vault.md), pure and columnar.

- **One account per person** of the canonical roster (`users` of `to_roster`): a person
  listed in two schools is one account. Accounts are matched across versions by `sourcedId`,
  never by name or e-mail.
- **Absent → suspended → deleted.** A person missing from a new version is suspended (not
  deleted) and deleted once absent for the grace period; reappearing before that
  reactivates the same account (same id, same credentials). A deleted account that
  reappears is reactivated too (matching is by sourcedId): the row is kept as a tombstone.
- **Initial passwords** (the roster's `Password` / `password` columns) are only ever kept as
  argon2id hashes; here a password is only compared with the previous version's to know
  which accounts need a new hash.

Text lists (schools, grades) are stored as `|a|b|` so that one `LIKE '%|a|%'` finds a member.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import polars as pl

from rosterport.domain.roster.ids import staff_id, student_id, teacher_id

ACTIVE: Final = "active"
SUSPENDED: Final = "suspended"
DELETED: Final = "deleted"
STATES: Final = (ACTIVE, SUSPENDED, DELETED)
ROLES: Final = ("student", "teacher", "administrator", "aide")

FIELDS: Final = (
    "sis_id",
    "role",
    "given_name",
    "middle_name",
    "family_name",
    "email",
    "username",
    "schools",
    "school_ids",
    "grades",
)
_DIGEST_SEED: Final = 16  # fixed seeds: the digest only has to be stable between two runs

# the person files of each roster model: (file, SIS id column, sourcedId rule)
PERSON_FILES: Final[Mapping[str, tuple[tuple[str, str, pl.Expr], ...]]] = {
    "passport-roster": (
        ("students.csv", "Student_id", student_id(pl.col("Student_id"))),
        ("teachers.csv", "Teacher_id", teacher_id(pl.col("Teacher_id"))),
        ("admins.csv", "Staff_id", staff_id(pl.col("Staff_id"))),
    ),
    "passport-identity": (
        ("students.csv", "Student_id", student_id(pl.col("Student_id"))),
        ("staff.csv", "Staff_id", staff_id(pl.col("Staff_id"))),
    ),
    "oneroster-1.1": (("users.csv", "sourcedId", pl.col("sourcedId")),),
}


def listed(values: pl.Expr) -> pl.Expr:
    """A list column as `|a|b|` text (an empty list: `|`)."""
    return pl.concat_str(pl.lit("|"), values.list.join("|"), pl.lit("|")).str.replace(
        "||", "|", literal=True
    )


def unlisted(text: str) -> list[str]:
    """`|a|b|` back to ["a", "b"]."""
    return [part for part in text.split("|") if part]


def person_sources(model: str, states: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Per person (`sourced_id`): the SIS id, the SIS ids of their schools and the initial
    password (the first given, by School_id), from the source files of the state."""
    frames = []
    for file, id_column, sourced in PERSON_FILES.get(model, ()):
        frame = states.get(file)
        if frame is None or id_column not in frame.columns:
            continue
        password = next((c for c in ("Password", "password") if c in frame.columns), None)
        school = "School_id" if "School_id" in frame.columns else None
        rows = frame.filter(pl.col(id_column).is_not_null()).select(
            sourced.alias("sourced_id"),
            pl.col(id_column).alias("sis_id"),
            (pl.col(school) if school else pl.lit(None, pl.String)).alias("school_id"),
            (pl.col(password) if password else pl.lit(None, pl.String)).alias("password"),
        )
        frames.append(
            rows.sort("sourced_id", "school_id", nulls_last=True)
            .group_by("sourced_id", maintain_order=True)
            .agg(
                pl.col("sis_id").first(),
                pl.col("school_id").drop_nulls().unique().sort().alias("school_ids"),
                pl.col("password").drop_nulls().first(),
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "sourced_id": pl.String,
                "sis_id": pl.String,
                "school_ids": pl.List(pl.String),
                "password": pl.String,
            }
        )
    return pl.concat(frames, how="vertical_relaxed")


_JSON_FIELDS: Final = pl.Struct({"middleName": pl.String, "grades": pl.List(pl.String)})


def accounts_of(users: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """The directory's view of the canonical `users` (one row per person, columns FIELDS
    plus `sourced_id` and `digest`). `sources`: `person_sources` of the same state (a
    oneroster-1.1 person's school SIS ids are the school sourcedIds)."""
    extra = users.get_column("json").str.json_decode(_JSON_FIELDS).struct.unnest()
    frame = users.select(
        pl.col("sourcedId").alias("sourced_id"),
        pl.col("role"),
        pl.col("givenName").alias("given_name"),
        pl.col("familyName").alias("family_name"),
        pl.col("email"),
        pl.col("username"),
        pl.col("schools"),
    ).with_columns(
        extra.get_column("middleName").alias("middle_name"),
        extra.get_column("grades").alias("grades"),
    )
    joined = frame.join(
        sources.select("sourced_id", "sis_id", "school_ids"), on="sourced_id", how="left"
    )
    out = joined.select(
        "sourced_id",
        pl.coalesce(pl.col("sis_id"), pl.col("sourced_id")).alias("sis_id"),
        "role",
        "given_name",
        "middle_name",
        "family_name",
        "email",
        "username",
        listed(pl.col("schools")).alias("schools"),
        listed(
            pl.when(pl.col("school_ids").list.len() > 0)
            .then(pl.col("school_ids"))
            .otherwise(pl.col("schools"))
        ).alias("school_ids"),
        listed(pl.col("grades").fill_null([])).alias("grades"),
    )
    return out.with_columns(digest(out).alias("digest"))


def digest(frame: pl.DataFrame) -> pl.Expr:  # noqa: ARG001 - the frame names the columns
    """A short text digest of the FIELDS of each row: equal fields, equal digest."""
    text = pl.concat_str([pl.col(f).fill_null("\x00") for f in FIELDS], separator="\x1f")
    return text.hash(_DIGEST_SEED).cast(pl.String)


@dataclass(frozen=True, slots=True)
class Changes:
    """What one version changes in the directory."""

    added: pl.DataFrame  # new accounts (FIELDS, sourced_id, digest)
    changed: pl.DataFrame  # accounts to rewrite and make active (id, FIELDS, digest)
    suspended: list[int]  # account ids newly absent
    deleted: list[int]  # account ids absent for the grace period

    @property
    def size(self) -> int:
        return self.added.height + self.changed.height + len(self.suspended) + len(self.deleted)


def changes(
    existing: pl.DataFrame, incoming: pl.DataFrame, *, now: datetime, grace: timedelta
) -> Changes:
    """The changes from the directory's accounts (`existing`: id, sourced_id, digest,
    state, absent_since) to a version's accounts (`incoming`: `accounts_of`)."""
    joined = incoming.join(
        existing.select(
            "id", "sourced_id", pl.col("digest").alias("__was"), pl.col("state").alias("__state")
        ),
        on="sourced_id",
        how="left",
    )
    added = joined.filter(pl.col("id").is_null()).drop("id", "__was", "__state")
    changed = joined.filter(
        pl.col("id").is_not_null()
        & ((pl.col("__was") != pl.col("digest")) | (pl.col("__state") != ACTIVE))
    ).drop("__was", "__state")
    absent = existing.join(incoming.select("sourced_id"), on="sourced_id", how="anti")
    suspended = absent.filter(pl.col("state") == ACTIVE).get_column("id").to_list()
    limit = now - grace
    deleted = (
        absent.filter(
            (pl.col("state") == SUSPENDED)
            & pl.col("absent_since").is_not_null()
            & (pl.col("absent_since") <= limit)
        )
        .get_column("id")
        .to_list()
    )
    return Changes(added, changed, suspended, deleted)


def password_changes(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Persons whose initial password differs between two states' `person_sources`:
    `sourced_id`, `has` (a password is given now: it needs a hash; otherwise the hash
    goes)."""
    old = before.select("sourced_id", pl.col("password").alias("__old"))
    joined = after.select("sourced_id", "password").join(old, on="sourced_id", how="full")
    joined = joined.with_columns(pl.coalesce("sourced_id", "sourced_id_right").alias("sourced_id"))
    differ = joined.filter(pl.col("password").ne_missing(pl.col("__old")))
    return differ.select("sourced_id", pl.col("password").is_not_null().alias("has"))
