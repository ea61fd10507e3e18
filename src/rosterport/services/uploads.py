"""Upload sessions: the four steps of the CSV upload tool.

    files added → validated → changes verified (preview) → committing → committed

A commit first takes the session from "validated" or "changes verified" to "committing" with
a compare-and-set, naming the snapshot prefix the version will use: of several commits of one
session at once, one goes on (and compares, if the changes were not verified yet) and the
others are told it is in progress; a commit that
crashed is resumed by the next one after `STALE_COMMIT` (it finds the version if the crashed
one got that far, else finishes it); one refused because production moved goes back to
"changes verified" so that the upload can be validated again.

`reset` is possible at every step; abandoned sessions expire after `Hub.session_hours` and
their files are deleted. The files of a session live in blob storage under
`sessions/<id>/`; once validated, the session also keeps the new production states it
computed (secrets encrypted), so that preview and commit need not validate again. A commit
moves production only if it is still the version the session was validated against.

Every validation keeps, with the upload's original files, its full issue list as one
compressed Parquet file (`reports/issue_file.py`): the session's breakdown (`report.json`)
holds only the groups; `upload_reports` pages through the list and makes the CSV report as
it is downloaded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from rosterport import blob_keys as keys
from rosterport.csvio import originals
from rosterport.csvio.reader import read_table
from rosterport.csvio.sources import SourceFile, read_zip
from rosterport.domain.checks.files import Given
from rosterport.domain.issues import Level
from rosterport.domain.policy import Mode, Policy, Production, Requirement
from rosterport.domain.report import Report
from rosterport.domain.schemas import get_model
from rosterport.domain.schemas.model import DataModel
from rosterport.domain.tables import DeferredTable, FileProblem, RawTable, loaded
from rosterport.domain.upload_session import (
    ADD_FILES,
    ADDING,
    CHANGE_DETAIL,
    COMMIT,
    COMMITTED,
    COMMITTING,
    EXPIRED,
    FAILED,
    KEEPS_BASE,
    OPEN,
    PREVIEWED,
    REMOVE_FILE,
    RESET,
    RESET_STEP,
    TAKE,
    VALIDATE,
    VALIDATED,
    VERIFY,
    may,
)
from rosterport.domain.validator import validate
from rosterport.errors import (
    InputError,
    NotFoundError,
    ProductionChangedError,
    StateError,
)
from rosterport.reports import issue_file
from rosterport.services import directory, vault
from rosterport.services import upload_reports as reports
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import upload_sessions as store
from rosterport.store.engine import immediate

STALE_COMMIT = timedelta(minutes=2)  # a commit this old that never finished has crashed
IN_PROGRESS = (
    "a commit of this upload is in progress; wait for it to finish, then look at the Version "
    "History (a commit that was interrupted is finished by committing again after two minutes)"
)


def _read_session_file(hub: Hub, session_id: str, name: str) -> RawTable | FileProblem:
    with hub.blobs.local_copy(keys.session_file(session_id, name)) as path:
        return read_table(name, path)


# turns the raw tables of an upload into what is validated (an integration's mappings),
# with sentences saying what it did
Prepare = Callable[
    [DataModel, list[RawTable | FileProblem]], tuple[list[RawTable | FileProblem], list[str]]
]
NOTHING_TO_COMMIT = (
    "this upload changes nothing: production already holds exactly these records, "
    "so there is nothing to commit"
)


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    org_id: int
    model: str
    state: str
    mode: str
    base_version: int | None
    data: dict[str, Any]


def start(hub: Hub, org: Organization, model: str, *, mode: Mode | None = None) -> Session:
    """A new session for `model` in `org` (abandoned sessions expire on the way)."""
    if model not in org.settings.models:
        enabled = ", ".join(org.settings.models) or "none"
        raise InputError(
            f"the data model {model} is not enabled for {org.slug} (enabled: {enabled}); "
            "enable it in Settings"
        )
    expire(hub)
    ds = v.dataset(hub, org, model)
    now = hub.clock()
    session = Session(
        uuid.uuid4().hex,
        org.id,
        model,
        ADDING,
        (mode or org.settings.mode).value,
        ds.current_version,
        {"files": []},
    )
    with hub.engine.begin() as conn:
        store.insert(
            conn,
            id=session.id,
            org_id=org.id,
            model=model,
            state=ADDING,
            mode=session.mode,
            base_version_id=None,
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(hours=hub.session_hours),
            data=session.data,
        )
    return session


def get(hub: Hub, org: Organization, session_id: str) -> Session:
    with hub.engine.connect() as conn:
        row = store.in_org(conn, org.id, session_id)
    if row is None:
        raise _no_session(org, session_id)
    return Session(
        row.id, row.org_id, row.model, row.state, row.mode, row.base_version_id, dict(row.data)
    )


def _no_session(org: Organization, session_id: str) -> NotFoundError:
    return NotFoundError(
        f"no upload session {session_id} in {org.slug}; it may have expired: start a new upload"
    )


def add_files(hub: Hub, org: Organization, session_id: str, files: Sequence[SourceFile]) -> Session:
    """Store files in the session (a file of the same name replaces the earlier one)."""
    session = _open(hub, org, session_id, ADD_FILES)
    names = list(session.data.get("files", []))
    for file in files:
        hub.blobs.put_with(keys.session_file(session.id, file.name), file.copy_into)
        if file.name not in names:
            names.append(file.name)
    return _save(hub, session, ADDING, {"files": names})


def receive_file(hub: Hub, org: Organization, session_id: str, name: str, path: Path) -> Session:
    """Add an uploaded file that was streamed to `path` (moved into the session's storage).
    A ZIP is unpacked (one file at a time, with the archive limits) and its files added."""
    clean = PurePosixPath(name.replace("\\", "/")).name
    if not clean or clean.startswith("."):
        raise InputError(
            f"'{name}' is not a usable file name; upload files named like students.csv"
        )
    try:
        files = (
            read_zip(path).files
            if clean.lower().endswith(".zip")
            else (SourceFile.at(clean, path),)
        )
        return add_files(hub, org, session_id, files)
    finally:
        path.unlink(missing_ok=True)


def remove_file(hub: Hub, org: Organization, session_id: str, name: str) -> Session:
    """Take a file out of the session before validation (or to replace it)."""
    session = _open(hub, org, session_id, REMOVE_FILE)
    names = [n for n in session.data.get("files", []) if n != name]
    hub.blobs.delete_prefix(keys.session_file(session.id, name))
    return _save(hub, session, ADDING, {"files": names})


def last_report(hub: Hub, org: Organization, session_id: str) -> dict[str, Any] | None:
    """The breakdown of the session's last validation (`upload_reports.breakdown_json`), if
    any."""
    session = get(hub, org, session_id)
    key = keys.session_report(session.id)
    if not hub.blobs.exists(key):
        return None
    loaded: dict[str, Any] = json.loads(hub.blobs.get(key))
    return loaded


def run_validation(
    hub: Hub,
    org: Organization,
    session_id: str,
    *,
    levels: Mapping[str, Level] | None = None,
    requirements: Mapping[tuple[str, str], Requirement] | None = None,
    prepare: Prepare | None = None,
    committed_by: str,
    source: str,
) -> tuple[Session, Report]:
    """Validate the session's files against production. An invalid upload is recorded in
    the history (status Validation Errors) with its files and report."""
    session = _open(hub, org, session_id, VALIDATE)
    names = session.data.get("files", [])
    if not names:
        raise InputError("add files to the upload first")
    model = get_model(session.model)
    ds = v.dataset(hub, org, session.model)
    base = v.snapshot_of(hub, ds.current_version)
    policy = Policy(
        levels={**org.settings.levels, **(levels or {})},
        requirements=requirements or {},
        mode=Mode(session.mode),
        today=hub.clock().date(),
    )
    # each file is read from a local file (the local store's own: its bytes never sit in
    # memory whole) when the validator reaches it
    tables: list[Given] = [
        DeferredTable(n, partial(_read_session_file, hub, session.id, n)) for n in names
    ]
    notes: list[str] = []
    if prepare is not None:  # an integration's mappings: they need every file read
        prepared, notes = prepare(model, [loaded(t) for t in tables])
        tables = [*prepared]
        del prepared
    production = _production(hub, org, model, base)
    attempt = keys.new_attempt()
    # The originals are kept while the validator runs: emptying a password column is the
    # csv module's work on one core (seconds for a million students), the validator's
    # mostly polars' (which releases the GIL), so the two share a small server's cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="originals") as pool:
        keeping = pool.submit(_keep_originals, hub, session, attempt)
        try:
            validation = validate(model, tables, policy, production, consume=True)
        except BaseException:
            keeping.cancel()
            wait([keeping])
            hub.blobs.delete_prefix(attempt)  # no attempt is recorded: keep nothing of it
            raise
        originals = keeping.result()
    del tables
    report = validation.report
    if notes:
        report = replace(report, notes=(*report.notes, *notes))
    hub.blobs.put(keys.session_report(session.id), reports.breakdown_json(report))
    report_key = _keep_report(hub, attempt, report)
    recorded = {
        "originals": originals,
        "report": report_key,
        "summary": report.summary(),
        "filtered": sum(f.filtered for f in report.files),  # records left out by Warn
    }
    if not report.valid:
        failed = v.record_failed(
            hub,
            ds,
            v.Recorded(committed_by, source, session.mode, originals, report_key, report.summary()),
        )
        session = _save(
            hub,
            session,
            FAILED,
            {**recorded, "valid": False, "version": failed},
            base=ds.current_version,
        )
        return session, report
    kept = v.write_staged(hub, model, base, validation, keys.session_staged(session.id))
    session = _save(
        hub,
        session,
        VALIDATED,
        {**recorded, "valid": True, "kept": kept, "modes": validation.modes, "committing": None},
        base=ds.current_version,
    )
    return session, report


def changes(hub: Hub, org: Organization, session_id: str) -> v.Preview:
    """Verify Changes: what the validated upload would add, update and remove."""
    session = _open(hub, org, session_id, VERIFY)
    result = _preview(hub, org, session)
    _save(hub, session, PREVIEWED, {"verified": result.verified().to_json()})
    return result


@dataclass(frozen=True, slots=True)
class ChangePage:
    """One page of a file's change detail, and how many rows match in all."""

    rows: list[dict[str, Any]]
    total: int


def change_page(
    hub: Hub,
    org: Organization,
    session_id: str,
    file: str,
    *,
    change: str | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ChangePage:
    """A page of the verified changes of one file (after `changes`), filtered by kind of
    change (added, updated, removed) and by text in the record's key or name (whatever the
    case); each row names its person or object (`name`) when the file has names. The
    file's detail is computed when its first page is asked for (not at Verify Changes: most
    files are never opened, and a first upload's detail is every record)."""
    session = _open(hub, org, session_id, CHANGE_DETAIL)
    model = get_model(session.model)
    if file not in {f.name for f in model.files}:
        raise NotFoundError(f"{file} is not a file of {model.title}; pick a file from the list")
    key = keys.session_changes(session.id, file)
    if not hub.blobs.exists(key):  # the first page of this file: its detail, kept for the next
        changed = v.file_changes(
            hub,
            model,
            session.base_version,
            keys.session_staged(session.id),
            file,
            kept=session.data.get("kept", {}).get(file, 0),
        )
        _write_frame(hub, key, changed.detail(model.file(file)))
        del changed
    with hub.blobs.local_copy(key) as path:
        rows = pl.scan_parquet(path)
        if change:
            rows = rows.filter(pl.col("change") == change)
        if search:  # in the key or the name, whatever the case
            words = search.lower()
            found = pl.col("key").str.to_lowercase().str.contains(words, literal=True)
            if "name" in rows.collect_schema().names():  # (a detail written before names)
                name = pl.col("name").str.to_lowercase().str.contains(words, literal=True)
                found = found | name
            rows = rows.filter(found.fill_null(value=False))
        total = int(rows.select(pl.len()).collect().item())
        page = rows.slice(max(offset, 0), max(1, min(limit, 500))).collect()
    return ChangePage(page.to_dicts(), total)


def commit(
    hub: Hub,
    org: Organization,
    session_id: str,
    *,
    committed_by: str,
    source: str,
    allow_deletions: bool = False,
    hold: Sequence[v.Breach] = (),
    refuse_empty: bool = False,
) -> tuple[int, str, v.Verified]:
    """Commit the session: a new version in production (or Held by a safeguard). After
    Verify Changes it commits exactly what was shown, without comparing again.

    StateError when the session is already committed, or being committed by another
    request; ProductionChangedError when production moved since the preview."""
    session = _open(hub, org, session_id, COMMIT)
    if refuse_empty and session.state == PREVIEWED:  # a person committing what they saw
        _refuse_empty(session.data["verified"])
    session, target = _begin_commit(hub, org, session_id)
    if "verified" not in session.data:  # straight after validation: compare now, alone
        session = _verify_while_committing(hub, org, session, refuse_empty=refuse_empty)
    result = v.Verified.from_json(session.data["verified"])
    if hold:  # the caller's own safeguards (an unattended upload's share of filtered records)
        result = replace(result, breaches=(*result.breaches, *hold))
    ds = v.dataset(hub, org, session.model)
    earlier = v.version_with_snapshot(hub, ds, target)
    if earlier is not None:  # a crashed attempt committed it: finish its bookkeeping
        version, status = earlier
        _save(hub, session, COMMITTED, {"version": version, "status": status})
        hub.blobs.delete_prefix(keys.session(session.id))
        return version, status, result
    recorded = v.Recorded(
        committed_by,
        source,
        session.mode,
        session.data.get("originals"),
        session.data.get("report"),
        session.data.get("summary", {}),
        {
            "sentences": result.sentences(),
            "cascades": [c.to_json() for c in result.cascades()],
            "filtered": int(session.data.get("filtered", 0)),
        },
    )
    try:
        version, status = v.commit(
            hub, ds, result, recorded, allow_deletions=allow_deletions, target=target
        )
    except ProductionChangedError:  # validate again from here (a retry finds the same)
        _save(hub, session, PREVIEWED, {})
        raise
    _save(hub, get(hub, org, session_id), COMMITTED, {"version": version, "status": status})
    hub.blobs.delete_prefix(keys.session(session.id))
    return version, status, result


def _refuse_empty(verified: Mapping[str, Any]) -> None:
    """A version that changes nothing is a person's mistake (not an unattended upload's)."""
    counts = verified.get("counts", {})
    if not any(n for c in counts.values() for n in c.values()):
        raise InputError(NOTHING_TO_COMMIT)


def _preview(hub: Hub, org: Organization, session: Session) -> v.Preview:
    """The validated session's staged state compared with production at its base."""
    return v.preview(
        hub,
        org,
        get_model(session.model),
        session.base_version,
        keys.session_staged(session.id),
        kept=session.data.get("kept", {}),
        modes=session.data.get("modes", {}),
    )


def _verify_while_committing(
    hub: Hub, org: Organization, session: Session, *, refuse_empty: bool
) -> Session:
    """Compare a session committed straight after validation, once it is "committing": the
    one request that took it compares (the others were told it is in progress), so no
    comparison reads staged files that a commit is moving. If the comparison fails, or finds
    nothing to commit for a person, the session goes back to where it was."""
    try:
        preview = _preview(hub, org, session)
    except BaseException:
        _save(hub, session, VALIDATED, {}, base=session.base_version)
        raise
    verified = preview.verified().to_json()
    del preview
    if refuse_empty:
        try:
            _refuse_empty(verified)
        except InputError:
            _save(hub, session, PREVIEWED, {"verified": verified})
            raise
    return _save(hub, session, COMMITTING, {"verified": verified})


def _begin_commit(hub: Hub, org: Organization, session_id: str) -> tuple[Session, str]:
    """Take the session from "validated" or "changes verified" (or a crashed commit) to
    "committing", by compare-and-set; the session and the snapshot prefix its version uses.
    From "validated", the session's data holds no comparison: the committer makes it."""
    now = hub.clock()
    with immediate(hub.engine).begin() as conn:  # read then write: take the lock first
        row = store.in_org(conn, org.id, session_id)
        if row is None:  # expired and gone meanwhile
            raise _no_session(org, session_id)
        data = dict(row.data)
        if row.state == COMMITTED:
            raise StateError(
                f"this upload was already committed as version {data.get('version')}; "
                "see the version history, or start a new upload to change production again"
            )
        if row.state == COMMITTING and now - row.updated_at < STALE_COMMIT:
            raise StateError(IN_PROGRESS)
        if not may(TAKE, row.state):
            raise StateError(
                f"upload session {session_id} is {row.state}; start a new upload instead"
            )
        if row.state == VALIDATED:  # an earlier comparison, if any, was of other files
            data.pop("verified", None)
        target = (data.get("committing") or {}).get("target") or keys.new_snapshot()
        data["committing"] = {"target": target}
        taken = store.move(
            conn,
            session_id,
            {"state": COMMITTING, "data": data, "updated_at": now},
            was=row.state,
            written_at=row.updated_at,
        )
    if not taken:
        raise StateError(IN_PROGRESS)
    return (
        Session(row.id, row.org_id, row.model, COMMITTING, row.mode, row.base_version_id, data),
        target,
    )


def reset(hub: Hub, org: Organization, session_id: str) -> None:
    """Start over: the session's files are deleted; production is untouched."""
    session = _open(hub, org, session_id, RESET_STEP)
    hub.blobs.delete_prefix(keys.session(session.id))
    _save(hub, session, RESET, {"files": []})


def expire(hub: Hub) -> int:
    """Expire abandoned sessions (past `expires_at`, not committed); returns how many."""
    now = hub.clock()
    with hub.engine.begin() as conn:
        ids = store.past_expiry(conn, now=now, states=sorted(OPEN))
        if ids:
            store.set_state(conn, ids, EXPIRED, now=now)
    for session_id in ids:
        hub.blobs.delete_prefix(keys.session(session_id))
    return len(ids)


def _open(hub: Hub, org: Organization, session_id: str, step: str) -> Session:
    """The session, if `step` may start from its state; StateError otherwise."""
    session = get(hub, org, session_id)
    if not may(step, session.state):
        raise StateError(
            f"upload session {session_id} is {session.state}; start a new upload instead"
        )
    return session


def _save(
    hub: Hub,
    session: Session,
    state: str,
    data: Mapping[str, Any],
    *,
    base: int | None = None,
) -> Session:
    merged = {**session.data, **data}
    values: dict[str, Any] = {"state": state, "data": merged, "updated_at": hub.clock()}
    if state in KEEPS_BASE:
        values["base_version_id"] = base
    with hub.engine.begin() as conn:
        moved = store.move(conn, session.id, values, was=session.state)
    if not moved:  # another request moved the session on meanwhile
        raise StateError(
            "this upload changed while this step ran (another window or request committed, "
            "reset or validated it); reload the upload to see where it is"
        )
    new_base = base if state in KEEPS_BASE else session.base_version
    return Session(session.id, session.org_id, session.model, state, session.mode, new_base, merged)


def _write_frame(hub: Hub, key: str, frame: pl.DataFrame) -> None:
    def write(path: Path) -> None:
        frame.write_parquet(path)

    hub.blobs.put_with(key, write)


def _production(hub: Hub, org: Organization, model: DataModel, base: str | None) -> Production:
    """What the validation checks against: committed keys and, for SSO credentials, the
    organization's accounts directory and password-vault applications."""
    keys = v.LazyStates(hub, model, base)
    if model.name != vault.MODEL:
        return Production(keys=keys)
    return Production(
        keys=keys,
        accounts=directory.lookup_frame(hub, org.id),
        applications=vault.application_ids(hub, org.id),
    )


def secret_columns(model: DataModel) -> frozenset[str]:
    """The names of the model's secret columns (passwords), lowercased."""
    return frozenset(c.name.lower() for f in model.files for c in f.columns if c.secret)


def _keep_originals(hub: Hub, session: Session, attempt: str) -> str:
    """Keep the session's original files for the history under `attempt` (copied as sent; a
    file with a secret column with its secrets emptied: `csvio/originals.py`); their
    prefix."""
    secret = secret_columns(get_model(session.model))
    for name in session.data.get("files", []):
        sent, kept = keys.session_file(session.id, name), keys.attempt_file(attempt, name)
        secrets = False
        if secret:  # the header row only: most files have no secret column
            with hub.blobs.open(sent) as stream:
                secrets = originals.may_hold_secrets(stream, secret)
        if not secrets:
            hub.blobs.copy(sent, kept)
            continue
        with hub.blobs.local_copy(sent) as path:
            hub.blobs.put_with(kept, partial(originals.without_secrets, path, secret))
    return keys.attempt_files(attempt)


def _keep_report(hub: Hub, attempt: str, report: Report) -> str:
    """Keep every issue for the history (a compressed Parquet file, written in batches)."""
    report_key = keys.attempt_issues(attempt)

    def write(path: Path) -> None:
        issue_file.write_issue_file(report, path)

    hub.blobs.put_with(report_key, write)
    return report_key


def session_issues(
    hub: Hub, org: Organization, session_id: str, **filters: Any
) -> issue_file.IssuePage:
    """A page of the issues of the session's last validation (also once it is committed)."""
    session = get(hub, org, session_id)
    key = session.data.get("report")
    if not key:
        raise NotFoundError(f"upload {session_id} has not been validated yet: validate it first")
    return reports.issue_page(hub, key, **filters)
