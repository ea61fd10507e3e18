"""What a SCIM push must do (spec/accounts-and-vault.md, "SCIM 2.0 provisioning"), pure
and columnar: the directory's accounts against what the application last received.

- **In scope**: an account that is not deleted, whose role is one of the application's
  roles (none given: every role) and that is in one of its schools (none given: every
  school; a school is named by its sourcedId or its SIS id).
- **create**: in scope and never sent. **replace**: in scope, sent, and its fingerprint
  (the directory's digest of the account's fields and its state) differs: a change, a
  suspension (`active: false`) or a reactivation. **delete**: sent and no longer in scope
  (deleted, or moved out of the application's roles or schools).
- A SCIM User from an account: `externalId` = sourcedId, `userName` = the username (else
  the e-mail, else the sourcedId), `name`, `displayName`, the e-mail as the primary work
  e-mail, `userType` = the role, `active` = the state is active.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from rosterport.domain.directory import ACTIVE, DELETED

CREATE: Final = "create"
REPLACE: Final = "replace"
DELETE: Final = "delete"


@dataclass(frozen=True, slots=True)
class Plan:
    """The accounts to create and to replace (account columns and `fingerprint`; replace
    also `scim_id`), and the ones to delete (`sourced_id`, `scim_id`)."""

    create: pl.DataFrame
    replace: pl.DataFrame
    delete: pl.DataFrame

    @property
    def counts(self) -> dict[str, int]:
        return {
            CREATE: self.create.height,
            REPLACE: self.replace.height,
            DELETE: self.delete.height,
        }


def _has_any(column: str, values: Sequence[str]) -> pl.Expr:
    found = pl.lit(False)
    for value in values:
        found = found | pl.col(column).str.contains(f"|{value}|", literal=True)
    return found


def in_scope(accounts: pl.DataFrame, roles: Sequence[str], schools: Sequence[str]) -> pl.DataFrame:
    """The accounts the application receives, with their `fingerprint`."""
    keep = pl.col("state") != DELETED
    if roles:
        keep = keep & pl.col("role").is_in(list(roles))
    if schools:
        keep = keep & (_has_any("schools", schools) | _has_any("school_ids", schools))
    return accounts.filter(keep).with_columns(
        pl.concat_str(pl.col("digest"), pl.lit(":"), pl.col("state")).alias("fingerprint")
    )


def plan(
    accounts: pl.DataFrame, sent: pl.DataFrame, roles: Sequence[str], schools: Sequence[str]
) -> Plan:
    """`accounts`: the directory's (sourced_id, the account fields, state, digest);
    `sent`: what the application holds (sourced_id, scim_id, fingerprint)."""
    scoped = in_scope(accounts, roles, schools)
    joined = scoped.join(
        sent.rename({"fingerprint": "sent_fingerprint"}), on="sourced_id", how="left"
    )
    create = joined.filter(pl.col("scim_id").is_null()).drop("scim_id", "sent_fingerprint")
    replace = joined.filter(
        pl.col("scim_id").is_not_null() & (pl.col("fingerprint") != pl.col("sent_fingerprint"))
    ).drop("sent_fingerprint")
    delete = sent.join(scoped.select("sourced_id"), on="sourced_id", how="anti").select(
        "sourced_id", "scim_id"
    )
    return Plan(create.sort("sourced_id"), replace.sort("sourced_id"), delete.sort("sourced_id"))


def user_attributes(account: Mapping[str, Any]) -> dict[str, Any]:
    """The SCIM User (RFC 7643 §4.1) attributes of one account (snake_case, as the
    scim2-models User takes them)."""
    given = account.get("given_name") or None
    family = account.get("family_name") or None
    middle = account.get("middle_name") or None
    email = account.get("email") or None
    display = " ".join(p for p in (given, family) if p) or None
    out: dict[str, Any] = {
        "external_id": account["sourced_id"],
        "user_name": account.get("username") or email or account["sourced_id"],
        "active": account.get("state") == ACTIVE,
    }
    name = {
        k: v
        for k, v in (("given_name", given), ("family_name", family), ("middle_name", middle))
        if v
    }
    if name:
        out["name"] = name
    if display:
        out["display_name"] = display
    if email:
        out["emails"] = [{"value": email, "primary": True, "type": "work"}]
    if account.get("role"):
        out["user_type"] = account["role"]
    return out
