"""The accounts directory as a consumer of propagation (spec/accounts-and-vault.md).

For the organization's roster source, the propagation job brings the directory to the
version it propagates, before the version is marked in production (so the version's status
waits for it, as for the roster store), and records its own row in the `deliveries` ledger
(consumer "directory"). The step is idempotent: the directory remembers the version it holds
(`directory_heads`) and compares the target's people with its own accounts, so a retried or
late job writes nothing twice and never puts old data back.

Initial passwords are hashed (argon2id) by a follow-up job (`HASH_PASSWORDS`) that reads them
from the version's encrypted snapshot: hashing is deliberately slow (~20 ms each), so a first
version of a large district fills the directory at once and the hashes follow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import polars as pl
import sqlalchemy as sa
from argon2 import PasswordHasher, Type

from rosterport.domain import directory as domain
from rosterport.domain.production_state import empty_state
from rosterport.domain.schemas import get_model
from rosterport.errors import NotFoundError
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.services.roster_store import Plan
from rosterport.services.snapshot_states import LazyStates, snapshot_of
from rosterport.store import ledger
from rosterport.store.directory import passwords as password_store
from rosterport.store.directory import queries as account_queries
from rosterport.store.directory import sync
from rosterport.store.directory.queries import Account, Selection
from rosterport.store.jobs import Job, enqueue

CONSUMER = "directory"
HASH_PASSWORDS = "directory-passwords"
HASH_BATCH = 25  # passwords hashed per transaction
HASH_ROUNDS = 4  # transactions per job (~2 s): propagation jobs never wait long behind one
# argon2id with OWASP's minimum (19 MiB, 2 passes): ~20 ms a password on one core
HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, type=Type.ID)
SOURCE_FILES = {  # what the people of each roster model come from
    "passport-roster": ("schools.csv", "students.csv", "teachers.csv", "admins.csv"),
    "passport-identity": ("schools.csv", "students.csv", "staff.csv"),
    "oneroster-1.1": ("orgs.csv", "users.csv"),
}
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one directory step did."""

    added: int = 0
    changed: int = 0
    suspended: int = 0
    deleted: int = 0
    passwords: int = 0  # initial passwords that await their hash


def _needed(hub: Hub, p: Plan, prefix: str | None) -> dict[str, pl.DataFrame]:
    states: Mapping[str, pl.DataFrame] = LazyStates(hub, p.model, prefix)
    return {f: states[f] for f in SOURCE_FILES[p.model.name] if f in states}


def _people(hub: Hub, p: Plan, prefix: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(accounts_of, person_sources) of the roster source's state at snapshot `prefix`."""
    needed = _needed(hub, p, prefix)
    sources = domain.person_sources(p.model.name, needed)
    if prefix is None:
        empty = domain.accounts_of(
            pl.DataFrame(
                schema={
                    "sourcedId": pl.String,
                    "json": pl.String,
                    "schools": pl.List(pl.String),
                    "role": pl.String,
                    "email": pl.String,
                    "username": pl.String,
                    "givenName": pl.String,
                    "familyName": pl.String,
                }
            ),
            sources,
        )
        return empty, sources
    # the other files as empty states: a person's account depends on none of them
    whole = {s.name: needed.get(s.name, empty_state(s)) for s in p.model.files}
    users = p.mapping(p.model.name, whole, *p.district)["users"]
    return domain.accounts_of(users, sources), sources


def propagate(hub: Hub, p: Plan | None, version_ids: Sequence[int]) -> Outcome | None:
    """Bring the directory of `p`'s organization to `p`'s version (None: not the roster
    source, nothing to do); `version_ids` are marked delivered to the directory."""
    if p is None:
        return None
    try:
        return _propagate(hub, p, version_ids)
    except Exception as error:
        with hub.engine.begin() as conn:
            for version_id in sorted(set(version_ids)):
                ledger.record(
                    conn,
                    version_id,
                    CONSUMER,
                    state="failed",
                    error=type(error).__name__,
                    now=hub.clock(),
                )
        raise


def _propagate(hub: Hub, p: Plan, version_ids: Sequence[int]) -> Outcome:
    now = hub.clock()
    with hub.engine.connect() as conn:
        held = sync.head(conn, p.org_id)
    if held == p.version_id:
        with hub.engine.begin() as conn:
            _delivered(hub, conn, version_ids)
        return Outcome()
    incoming, sources = _people(hub, p, snapshot_of(hub, p.version_id))
    before = (  # the held version's passwords only: no mapping
        domain.person_sources(p.model.name, _needed(hub, p, snapshot_of(hub, held)))
        if held is not None
        else sources.clear()
    )
    passwords = domain.password_changes(before, sources)
    with hub.engine.connect() as conn:
        existing = sync.existing(conn, p.org_id)
    planned = domain.changes(
        existing, incoming, now=now, grace=timedelta(days=hub.account_grace_days)
    )
    to_hash = passwords.filter(pl.col("has")).get_column("sourced_id").to_list()
    cleared = passwords.filter(~pl.col("has")).get_column("sourced_id").to_list()
    with hub.engine.begin() as conn:
        sync.insert_accounts(conn, p.org_id, planned.added, now)
        sync.update_accounts(conn, planned.changed, now)
        sync.set_state(conn, planned.suspended, domain.SUSPENDED, now, absent=True)
        sync.set_state(conn, planned.deleted, domain.DELETED, now, absent=False)
        sync.forget_credentials(conn, planned.deleted)
        password_store.mark_passwords(conn, p.org_id, cleared, None)
        password_store.mark_passwords(conn, p.org_id, to_hash, p.version_id)
        if to_hash:
            enqueue(conn, HASH_PASSWORDS, {"org_id": p.org_id}, now=now)
        sync.set_head(conn, p.org_id, p.version_id, now)
        _delivered(hub, conn, version_ids)
    if planned.added.height > 100_000:
        with hub.engine.begin() as conn:
            sync.analyze(conn)
    return Outcome(
        planned.added.height,
        planned.changed.height,
        len(planned.suspended),
        len(planned.deleted),
        len(to_hash),
    )


def _delivered(hub: Hub, conn: sa.Connection, version_ids: Sequence[int]) -> None:
    for version_id in sorted(set(version_ids)):
        ledger.record(conn, version_id, CONSUMER, state="done", now=hub.clock())


def expire(
    hub: Hub, *, on_deleted: Callable[[sa.Connection, Sequence[int]], None] | None = None
) -> int:
    """Chore: delete the accounts suspended for longer than the grace period (also done by
    every propagation); how many. `on_deleted(conn, org_ids)` runs in the same transaction
    for the organizations that lost accounts (the SCIM pushes are queued there)."""
    limit = hub.clock() - timedelta(days=hub.account_grace_days)
    with hub.engine.begin() as conn:
        ids = sync.expired(conn, before=limit)
        sync.set_state(conn, ids, domain.DELETED, hub.clock(), absent=False)
        sync.forget_credentials(conn, ids)
        if ids and on_deleted is not None:
            on_deleted(conn, sync.orgs_of(conn, ids))
    return len(ids)


def hash_passwords(hub: Hub, job: Job) -> None:
    """Job handler: hash the initial passwords of the organization's accounts that await
    one, reading each from the encrypted snapshot of the version that brought it; a bounded
    number per job, then the rest in a new job, so that the worker's other jobs (the next
    version's propagation) are not kept waiting behind a large district's hashes."""
    org_id = int(job.payload["org_id"])
    passwords: dict[int, dict[str, str]] = {}
    for _ in range(HASH_ROUNDS):  # then a new job, queued behind the jobs already due
        with hub.engine.connect() as conn:
            pending = password_store.pending_passwords(conn, org_id, HASH_BATCH)
        if not pending:
            return
        done = []
        for account_id, sourced_id, version_id in pending:
            if version_id not in passwords:
                passwords[version_id] = _passwords_of(hub, version_id)
            clear = passwords[version_id].get(sourced_id)
            if clear is not None:
                done.append((account_id, version_id, HASHER.hash(clear)))
        with hub.engine.begin() as conn:
            password_store.set_password_hashes(conn, done)
            missing = {a for a, _, _ in pending} - {a for a, _, _ in done}
            password_store.drop_pending(conn, sorted(missing))
    with hub.engine.begin() as conn:
        if password_store.pending_passwords(conn, org_id, 1):
            later = hub.clock() + timedelta(seconds=1)
            enqueue(conn, HASH_PASSWORDS, {"org_id": org_id}, now=hub.clock(), run_at=later)


def _passwords_of(hub: Hub, version_id: int) -> dict[str, str]:
    with hub.engine.connect() as conn:
        model_name = password_store.version_model(conn, version_id)
    model = get_model(model_name)
    states = LazyStates(hub, model, snapshot_of(hub, version_id))
    needed = {f: states[f] for f in SOURCE_FILES.get(model.name, ()) if f in states}
    sources = domain.person_sources(model.name, needed).filter(pl.col("password").is_not_null())
    return dict(sources.select("sourced_id", "password").iter_rows())


def verify_password(hub: Hub, org: Organization, key: str, password: str) -> bool:
    """Whether `password` is the account's initial password (argon2id verify)."""
    with hub.engine.connect() as conn:
        stored = password_store.password_hash(conn, org.id, key)
    if stored is None:
        return False
    try:
        return HASHER.verify(stored, password)
    except Exception:  # argon2's VerifyMismatchError and InvalidHashError alike: no match
        return False


# -- reading -----------------------------------------------------------------------------------


def accounts_page(
    hub: Hub, selection: Selection, *, offset: int, limit: int
) -> tuple[int, list[Account]]:
    with hub.engine.connect() as conn:
        return account_queries.count(conn, selection), account_queries.page(
            conn, selection, offset=offset, limit=limit
        )


def account(hub: Hub, org: Organization, key: str) -> Account:
    """An account by account id or sourcedId."""
    with hub.engine.connect() as conn:
        found = account_queries.one(conn, org.id, key)
    if found is None:
        raise NotFoundError(f"{org.slug} has no account {key!r}")
    return found


def lookup_frame(hub: Hub, org_id: int) -> pl.DataFrame:
    """The SSO look-up table (domain/checks/sso.py's `Production.accounts`)."""
    with hub.engine.connect() as conn:
        return account_queries.lookup_frame(conn, org_id)
