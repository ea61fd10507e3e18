"""The names of everything rosterport keeps in blob storage, spelled in one place.

    sessions/<session id>/files/<name>          a file added to an upload session
    sessions/<session id>/report.json           the breakdown of its last validation
    sessions/<session id>/staged/…              the production states it computed (a snapshot)
    sessions/<session id>/changes/<file>.parquet the change detail of one file (Verify Changes)
    uploads/<attempt>/files/<name>              the original files of a validation, for history
    uploads/<attempt>/issues.parquet            its full issue list
    snapshots/<id>/<file>.parquet, .secrets     a version's production state; `_complete` last
    integrations/<id>/mirror/<name>             files pulled from an integration's SFTP server
    drops/<drop id>/files/<name>                a hosted account's delivery, until processed
    drops/<drop id>/results/<name>              its result files, until written to the account
    health/readyz-probe                         written and read back by /readyz

Keys are relative POSIX paths; a "prefix" is a folder of keys.
"""

from __future__ import annotations

import uuid

PARQUET = ".parquet"
COMPLETE = "_complete"
READY_PROBE = "health/readyz-probe"


def session(session_id: str) -> str:
    """Everything an upload session keeps (deleted when it ends)."""
    return f"sessions/{session_id}"


def session_file(session_id: str, name: str) -> str:
    return f"{session(session_id)}/files/{name}"


def session_report(session_id: str) -> str:
    return f"{session(session_id)}/report.json"


def session_staged(session_id: str) -> str:
    """The snapshot prefix of the states a validated session computed."""
    return f"{session(session_id)}/staged"


def session_changes(session_id: str, file: str) -> str:
    return f"{session(session_id)}/changes/{file}{PARQUET}"


def is_session_key(key: str) -> bool:
    return key.startswith("sessions/")


def new_snapshot() -> str:
    """A fresh snapshot prefix for a version."""
    return f"snapshots/{uuid.uuid4().hex}"


def snapshot_file(prefix: str, name: str) -> str:
    """The plain (scannable) Parquet file of model file `name` in a snapshot."""
    return f"{prefix}/{name}{PARQUET}"


def snapshot_secrets(prefix: str, name: str) -> str:
    """The encrypted secret columns of model file `name` in a snapshot."""
    return f"{prefix}/{name}.secrets"


def snapshot_complete(prefix: str) -> str:
    """The marker written last: the snapshot is whole."""
    return f"{prefix}/{COMPLETE}"


def new_attempt() -> str:
    """A fresh prefix for what one validation keeps for the history."""
    return f"uploads/{uuid.uuid4().hex}"


def attempt_files(attempt: str) -> str:
    return f"{attempt}/files"


def attempt_file(attempt: str, name: str) -> str:
    return f"{attempt_files(attempt)}/{name}"


def attempt_issues(attempt: str) -> str:
    return f"{attempt}/issues{PARQUET}"


def mirror(integration_id: int) -> str:
    """The files pulled from an integration's SFTP server."""
    return f"integrations/{integration_id}/mirror"


def mirror_file(integration_id: int, name: str) -> str:
    return f"{mirror(integration_id)}/{name}"


def drop_files(drop_id: str) -> str:
    """The files of a hosted account's delivery, handed over for a worker."""
    return f"drops/{drop_id}/files"


def drop_file(drop_id: str, name: str) -> str:
    return f"{drop_files(drop_id)}/{name}"


def drop_results(drop_id: str) -> str:
    """The result files of a processed drop, until the server writes them to the account."""
    return f"drops/{drop_id}/results"


def drop_result(drop_id: str, name: str) -> str:
    return f"{drop_results(drop_id)}/{name}"


def name_of(key: str) -> str:
    """The last part of a key (a file's name)."""
    return key.rsplit("/", 1)[-1]
