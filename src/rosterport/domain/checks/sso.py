"""`passport-sso` look-ups: each credential's account and application must exist.

The account is found among the organization's accounts in production by `User_id` (the
person's SIS id) or, when User_id is empty, by `Username`; `School_id` limits the look-up to
one school. No match or several matches: `reference-not-found` (filtering). Two rows for the
same account and application: `uniqueness-violation`. Offline (no production data) the
look-ups cannot run: the validator notes that instead of failing every row.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from rosterport.domain.checks import issueframe
from rosterport.domain.checks.model_rules import FileCheck, ModelRules
from rosterport.domain.inputs import ROW
from rosterport.domain.issues import REFERENCE_NOT_FOUND, REQUIRED_ATTRIBUTE, UNIQUENESS_VIOLATION
from rosterport.domain.policy import Production

# the issue codes this module raises (tests/domain/checks/test_declared_issues.py)
EMITS: Final = frozenset(
    {REFERENCE_NOT_FOUND.code, REQUIRED_ATTRIBUTE.code, UNIQUENESS_VIOLATION.code}
)


ACCOUNT = "__account"


class SsoRules(ModelRules):
    """Account and application look-ups for app_credentials.csv."""

    needs_values = True

    def notes(self, production: Production | None) -> tuple[str, ...]:
        missing = []
        if production is None or production.accounts is None:
            missing.append("accounts (User_id, Username)")
        if production is None or production.applications is None:
            missing.append("activated applications (Application_id)")
        if not missing:
            return ()
        return (
            "not checked here: "
            + " and ".join(missing)
            + " need the organization's production data; they are checked on upload",
        )

    def record_checks(self, check: FileCheck) -> pl.DataFrame:
        file, normalized, production = check.schema.name, check.normalized, check.production
        normalized = _with_optional(normalized)
        issues = [_identity_missing(file, check.values)]
        identified = normalized.filter(
            pl.col("User_id").is_not_null() | pl.col("Username").is_not_null()
        )
        if production is not None and production.applications is not None:
            issues.append(_unknown_applications(file, identified, production.applications))
        if production is not None and production.accounts is not None:
            resolved, unresolved = resolve_accounts(file, identified, production.accounts)
            issues.append(unresolved)
        else:  # offline: the account is identified by what the row says
            resolved = identified.with_columns(
                pl.concat_str(
                    pl.col("School_id").fill_null(""),
                    pl.when(pl.col("User_id").is_not_null())
                    .then(pl.lit("id:") + pl.col("User_id"))
                    .otherwise(pl.lit("name:") + pl.col("Username")),
                    separator="|",
                ).alias(ACCOUNT)
            )
        issues.append(_duplicates(file, resolved))
        return issueframe.concat(issues)


def _with_optional(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with the optional look-up columns a file may leave out, empty."""
    return frame.with_columns(
        pl.lit(None, pl.String).alias(c)
        for c in ("School_id", "User_id", "Username")
        if c not in frame.columns
    )


def _identity_missing(file: str, values: pl.DataFrame) -> pl.DataFrame:
    """Rows naming no account: User_id and Username both empty as given (a value present but
    malformed is an invalid-format issue of its own, not a missing one)."""
    given = [c for c in ("User_id", "Username") if c in values.columns]
    rows = values.filter(pl.all_horizontal(pl.col(c).is_null() for c in given))
    return issueframe.conform(
        rows.select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit("User_id").alias("column"),
            pl.lit(REQUIRED_ATTRIBUTE.code).alias("code"),
            pl.lit(REQUIRED_ATTRIBUTE.text("either", column="User_id", other="Username")).alias(
                "message"
            ),
        )
    )


def _unknown_applications(
    file: str, frame: pl.DataFrame, applications: frozenset[str]
) -> pl.DataFrame:
    rows = frame.filter(
        pl.col("Application_id").is_not_null()
        & ~pl.col("Application_id").is_in(sorted(applications))
    )
    return issueframe.conform(
        rows.select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit("Application_id").alias("column"),
            pl.col("Application_id").alias("value"),
            pl.lit(REFERENCE_NOT_FOUND.code).alias("code"),
            REFERENCE_NOT_FOUND.expr(
                "application", column="Application_id", value=pl.col("Application_id")
            ).alias("message"),
        )
    )


def resolve_accounts(
    file: str, frame: pl.DataFrame, accounts: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Match each row to exactly one account; returns (rows with ACCOUNT, issues). Optional
    columns the file leaves out (School_id, User_id or Username) are empty."""
    frame = _with_optional(frame)
    by_id = frame.filter(pl.col("User_id").is_not_null())
    by_name = frame.filter(pl.col("User_id").is_null())
    matches = pl.concat(
        [
            _match(by_id, accounts, "User_id", "user_id"),
            _match(by_name, accounts, "Username", "username"),
        ]
    )
    counts = matches.group_by(ROW).agg(pl.len().alias("__n"), pl.col(ACCOUNT).first())
    resolved = frame.join(counts.filter(pl.col("__n") == 1), on=ROW, how="inner")
    bad = frame.join(counts.filter(pl.col("__n") == 1), on=ROW, how="anti").join(
        counts.select(ROW, "__n"), on=ROW, how="left"
    )
    column = (
        pl.when(pl.col("User_id").is_not_null())
        .then(pl.lit("User_id"))
        .otherwise(pl.lit("Username"))
    )
    value = pl.coalesce(pl.col("User_id"), pl.col("Username"))
    scope = (
        pl.when(pl.col("School_id").is_not_null())
        .then(pl.format(" in school {}", pl.col("School_id")))
        .otherwise(pl.lit(""))
    )
    issues = issueframe.conform(
        bad.select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            column.alias("column"),
            value.alias("value"),
            pl.lit(REFERENCE_NOT_FOUND.code).alias("code"),
            pl.when(pl.col("__n").is_null())
            .then(REFERENCE_NOT_FOUND.expr("no-account", column=column, value=value, scope=scope))
            .otherwise(
                REFERENCE_NOT_FOUND.expr(
                    "accounts",
                    column=column,
                    value=value,
                    scope=scope,
                    n=pl.col("__n").cast(pl.String),
                )
            )
            .alias("message"),
        )
    )
    return resolved, issues


def _match(rows: pl.DataFrame, accounts: pl.DataFrame, column: str, key: str) -> pl.DataFrame:
    joined = rows.select(ROW, column, "School_id").join(
        accounts.select(key, "school_id", pl.col("account").alias(ACCOUNT)),
        left_on=column,
        right_on=key,
        how="inner",
    )
    scoped = joined.filter(
        pl.col("School_id").is_null() | (pl.col("School_id") == pl.col("school_id"))
    )
    return scoped.select(ROW, ACCOUNT).unique()


def _duplicates(file: str, resolved: pl.DataFrame) -> pl.DataFrame:
    resolved = resolved.sort(ROW)  # joins do not keep row order: the first row is the one kept
    later = resolved.filter(~pl.struct(ACCOUNT, "Application_id").is_first_distinct())
    if not later.height:
        return issueframe.empty()
    first = resolved.group_by(ACCOUNT, "Application_id").agg(pl.col(ROW).min().alias("__first"))
    return issueframe.conform(
        later.join(first, on=[ACCOUNT, "Application_id"]).select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit("Application_id").alias("column"),
            pl.col("Application_id").alias("value"),
            pl.lit(UNIQUENESS_VIOLATION.code).alias("code"),
            UNIQUENESS_VIOLATION.expr(
                "credential",
                value=pl.col("Application_id"),
                n=pl.col("__first").cast(pl.String),
            ).alias("message"),
        )
    )
