"""Validating an upload session against production, and what a validation keeps.

A valid upload's new production states are written under the session (secrets encrypted),
so that preview and commit need not validate again; an invalid one is recorded in the
history (status Validation Errors).

Every validation keeps, with the upload's original files, its full issue list as one
compressed Parquet file (`reports/issue_file.py`): the session's breakdown (`report.json`)
holds only the groups; `upload_reports` pages through the list and makes the CSV report as
it is downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from rosterport import blob_keys as keys
from rosterport.csvio import originals
from rosterport.csvio.reader import read_table
from rosterport.domain.checks.files import Given
from rosterport.domain.inputs import DeferredTable, FileProblem, RawTable, loaded
from rosterport.domain.issue_type import Level
from rosterport.domain.policy import Mode, Policy, Production, Requirement
from rosterport.domain.report import Report
from rosterport.domain.schemas import get_model
from rosterport.domain.schemas.model import DataModel
from rosterport.domain.upload_session import FAILED, VALIDATE, VALIDATED
from rosterport.domain.validator import validate
from rosterport.errors import InputError, NotFoundError
from rosterport.reports import issue_file
from rosterport.services import directory, vault
from rosterport.services import snapshot_states as states
from rosterport.services import upload_reports as reports
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.services.uploads import Session, _open, _save, get

# turns the raw tables of an upload into what is validated (an integration's mappings),
# with sentences saying what it did
Prepare = Callable[
    [DataModel, list[RawTable | FileProblem]], tuple[list[RawTable | FileProblem], list[str]]
]


def _read_session_file(hub: Hub, session_id: str, name: str) -> RawTable | FileProblem:
    with hub.blobs.local_copy(keys.session_file(session_id, name)) as path:
        return read_table(name, path)


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
    base = states.snapshot_of(hub, ds.current_version)
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
    kept = states.write_staged(hub, model, base, validation, keys.session_staged(session.id))
    session = _save(
        hub,
        session,
        VALIDATED,
        {**recorded, "valid": True, "kept": kept, "modes": validation.modes, "committing": None},
        base=ds.current_version,
    )
    return session, report


def _production(hub: Hub, org: Organization, model: DataModel, base: str | None) -> Production:
    """What the validation checks against: committed keys and, for SSO credentials, the
    organization's accounts directory and password-vault applications."""
    keys = states.LazyStates(hub, model, base)
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
    hub: Hub, org: Organization, session_id: str, query: issue_file.IssueQuery
) -> issue_file.IssuePage:
    """A page of the issues of the session's last validation (also once it is committed)."""
    session = get(hub, org, session_id)
    key = session.data.get("report")
    if not key:
        raise NotFoundError(f"upload {session_id} has not been validated yet: validate it first")
    return reports.issue_page(hub, key, query)
