"""Verifying an upload session's changes and committing them.

A commit first takes the session from "validated" or "changes verified" to "committing" with
a compare-and-set, naming the snapshot prefix the version will use: of several commits of one
session at once, one goes on (and compares, if the changes were not verified yet) and the
others are told it is in progress; a commit that
crashed is resumed by the next one after `STALE_COMMIT` (it finds the version if the crashed
one got that far, else finishes it); one refused because production moved goes back to
"changes verified" so that the upload can be validated again. A commit moves production
only if it is still the version the session was validated against (`services/versions.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from rosterport import blob_keys as keys
from rosterport.domain.preview import Breach, Preview, Verified
from rosterport.domain.schemas import get_model
from rosterport.domain.upload_session import (
    CHANGE_DETAIL,
    COMMIT,
    COMMITTED,
    COMMITTING,
    PREVIEWED,
    TAKE,
    VALIDATED,
    VERIFY,
    may,
)
from rosterport.errors import InputError, NotFoundError, ProductionChangedError, StateError
from rosterport.services import snapshot_states as states
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.services.uploads import Session, _no_session, _open, _save, get
from rosterport.store import upload_sessions as store
from rosterport.store.engine import immediate

STALE_COMMIT = timedelta(minutes=2)  # a commit this old that never finished has crashed
IN_PROGRESS = (
    "a commit of this upload is in progress; wait for it to finish, then look at the Version "
    "History (a commit that was interrupted is finished by committing again after two minutes)"
)
NOTHING_TO_COMMIT = (
    "this upload changes nothing: production already holds exactly these records, "
    "so there is nothing to commit"
)


def changes(hub: Hub, org: Organization, session_id: str) -> Preview:
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
        changed = states.file_changes(
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
    hold: Sequence[Breach] = (),
    refuse_empty: bool = False,
) -> tuple[int, str, Verified]:
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
    result = Verified.from_json(session.data["verified"])
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


def _preview(hub: Hub, org: Organization, session: Session) -> Preview:
    """The validated session's staged state compared with production at its base."""
    return states.preview(
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


def _write_frame(hub: Hub, key: str, frame: pl.DataFrame) -> None:
    def write(path: Path) -> None:
        frame.write_parquet(path)

    hub.blobs.put_with(key, write)
