"""Upload sessions: the four steps of the CSV upload tool.

    files added → validated → changes verified (preview) → committing → committed

This module holds the session itself: starting one, adding and removing its files, `reset`
(possible at every step) and expiry (abandoned sessions expire after `Hub.session_hours` and
their files are deleted), and the compare-and-set that moves it from state to state
(`_open`, `_save`; the states are `domain/upload_session.py`). Validating it is
`services/upload_validation.py`, verifying its changes and committing them
`services/upload_commit.py`: both move the session through `_open` and `_save`.

The files of a session live in blob storage under `sessions/<id>/`; once validated, the
session also keeps the new production states it computed, so that preview and commit need
not validate again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from rosterport import blob_keys as keys
from rosterport.csvio.sources import SourceFile, read_zip
from rosterport.domain.policy import Mode
from rosterport.domain.upload_session import (
    ADD_FILES,
    ADDING,
    EXPIRED,
    KEEPS_BASE,
    OPEN,
    REMOVE_FILE,
    RESET,
    RESET_STEP,
    may,
)
from rosterport.errors import InputError, NotFoundError, StateError
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import upload_sessions as store


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
