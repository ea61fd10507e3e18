"""API: upload sessions, the four steps of the CSV upload tool.

POST   /orgs/{slug}/uploads                          start (model, mode)
PUT    /orgs/{slug}/uploads/{id}/files/{name}        add one file, streamed (or a ZIP)
POST   /orgs/{slug}/uploads/{id}/files               add files (multipart form)
POST   /orgs/{slug}/uploads/{id}/validate            Upload and validate
GET    /orgs/{slug}/uploads/{id}/issues              every issue of the last validation, paged
POST   /orgs/{slug}/uploads/{id}/changes             Verify Changes (counts, safeguards)
GET    /orgs/{slug}/uploads/{id}/changes/{file}      the detail of one file, paged
POST   /orgs/{slug}/uploads/{id}/commit              Commit
POST   /orgs/{slug}/uploads/{id}/reset               Reset

A file on its way in is spooled to a folder of its own under `<data dir>/incoming`, removed
when the request ends however it ends; what a crashed server left there is swept away when
the next one starts (`sweep_incoming`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from rosterport.domain.issue_type import Level
from rosterport.domain.policy import Mode
from rosterport.domain.preview import Preview, Verified, plural
from rosterport.domain.schemas import get_model
from rosterport.domain.upload_session import WITH_REPORT
from rosterport.reports.issue_file import IssuePage
from rosterport.services import upload_commit, upload_validation, uploads
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.web.deps import CallerDep, HubDep, IssueQueryDep, Limit, Offset, SettingsDep
from rosterport.web.errors import HttpProblem, log

router = APIRouter(tags=["uploads"])
CHUNK = 1 << 20
INCOMING = "incoming"
STALE_INCOMING = timedelta(hours=1)  # an upload in progress writes far more often


class NewUpload(BaseModel):
    model: str = Field(description="data model, e.g. passport-roster or oneroster-1.1")
    mode: str | None = Field(default=None, description="full or incremental (default: settings)")


class ValidateBody(BaseModel):
    levels: dict[str, str] = Field(
        default_factory=dict, description="this upload only: record issue code → level"
    )


class CommitBody(BaseModel):
    allow_deletions: bool = Field(
        default=False,
        description="confirm removals past the safeguards; without it such an upload is Held",
    )


def session_json(hub: Hub, org: Organization, session: uploads.Session) -> dict[str, Any]:
    """A session as the upload tool sees it: files present and still needed, the last
    validation's breakdown, and the commit's outcome."""
    model = get_model(session.model)
    present = {n.lower() for n in session.data.get("files", [])}
    files = []
    for schema in model.files:
        names = {schema.name.lower(), *(a.lower() for a in schema.aliases)}
        files.append(
            {
                "name": schema.name,
                "required": schema.required,
                "description": schema.description,
                "present": bool(names & present),
            }
        )
    return {
        "id": session.id,
        "model": session.model,
        "mode": session.mode,
        "state": session.state,
        "files": session.data.get("files", []),
        "model_files": files,
        "ready": all(f["present"] for f in files if f["required"]),
        "report": upload_validation.last_report(hub, org, session.id)
        if session.state in WITH_REPORT
        else None,
        "version": session.data.get("version"),
        "status": session.data.get("status"),
    }


def kept_sentence(file: str, count: int) -> str:
    """ "9 records of students.csv left out by validation stay in production as they were" """
    return (
        f"{count:,} {plural('record', count)} of {file} left out by validation "
        "stay in production as they were"
    )


def preview_json(result: Preview | Verified) -> dict[str, Any]:
    return {
        "changes": result.counts(),
        "notes": result.sentences(),
        "cascades": [c.to_json() for c in result.cascades()],
        "kept": [
            {"file": file, "count": count, "sentence": kept_sentence(file, count)}
            for file, count in result.kept.items()
            if count
        ],
        "safeguards": [
            {
                "file": b.file,
                "removed": b.removed,
                "in_production": b.in_production,
                "threshold": b.threshold,
                "message": b.sentence(),
                "reason": b.reason(),
            }
            for b in result.breaches
        ],
    }


@router.post("/orgs/{slug}/uploads", status_code=201, summary="Start an upload")
def start(slug: str, body: NewUpload, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    mode = Mode(body.mode) if body.mode in {m.value for m in Mode} else None
    if body.mode and mode is None:
        raise HttpProblem(400, "invalid_input", "mode must be full or incremental")
    session = uploads.start(hub, org, get_model(body.model).name, mode=mode)
    return session_json(hub, org, session)


@router.get("/orgs/{slug}/uploads/{session_id}", summary="An upload's state")
def show(slug: str, session_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return session_json(hub, org, uploads.get(hub, org, session_id))


def sweep_incoming(
    data_dir: Path, now: datetime, *, under: str = INCOMING, stale: timedelta = STALE_INCOMING
) -> int:
    """Remove what uploads left in `<data dir>/incoming` (a server killed in the middle of
    a request leaves its spooled `.part` file) untouched for an hour; returns how many.
    Younger entries may belong to another server process on the same data dir. (Also run
    on `<data dir>/tmp`, where the S3 store keeps its temporary local copies.)"""
    folder = data_dir / under
    if not folder.is_dir():
        return 0
    removed = 0
    for entry in folder.iterdir():
        try:
            if now.timestamp() - _last_change(entry) < stale.total_seconds():
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except FileNotFoundError:
            continue  # another process removed it first
    if removed:
        log.info("removed %d stale upload file(s) from %s", removed, folder)
    return removed


def _last_change(entry: Path) -> float:
    """When `entry`, or a file in it, was last written (a file being streamed into a
    request's folder changes, the folder itself does not)."""
    times = [entry.stat().st_mtime]
    if entry.is_dir() and not entry.is_symlink():
        times += [child.stat().st_mtime for child in entry.iterdir()]
    return max(times)


@contextmanager
def _spool_folder(data_dir: Path) -> Iterator[Path]:
    """A private folder for one request's incoming files, removed when the request ends."""
    parent = data_dir / INCOMING
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=parent))  # mode 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _too_large(name: str, limit_mb: int) -> HttpProblem:
    return HttpProblem(
        413,
        "too_large",
        f"{name} is larger than {limit_mb} MB, the largest upload allowed "
        "(ROSTERPORT_MAX_UPLOAD_MB); split it or ask your operator to raise the limit",
    )


@router.put(
    "/orgs/{slug}/uploads/{session_id}/files/{name}",
    summary="Add one file (the request body is the file; streamed to storage)",
)
async def put_file(
    slug: str,
    session_id: str,
    name: str,
    request: Request,
    caller: CallerDep,
    hub: HubDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    uploads.get(hub, org, session_id)  # 404 before reading a byte
    limit = settings.max_upload_mb * 1024 * 1024
    size = 0
    with _spool_folder(settings.data_dir) as folder:
        temp = folder / "upload.part"
        with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(name, settings.max_upload_mb)
                out.write(chunk)
        session = await run_in_threadpool(uploads.receive_file, hub, org, session_id, name, temp)
    return session_json(hub, org, session)


def _spool(source: BinaryIO, folder: Path, name: str, limit_mb: int) -> Path:
    handle, temp = tempfile.mkstemp(dir=folder, suffix=".part")
    size = 0
    with os.fdopen(handle, "wb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limit_mb * 1024 * 1024:
                out.close()
                Path(temp).unlink(missing_ok=True)
                raise _too_large(name, limit_mb)
            out.write(chunk)
    return Path(temp)


@router.post(
    "/orgs/{slug}/uploads/{session_id}/files",
    summary="Add files (multipart form field 'files': CSV files or ZIP archives)",
)
def post_files(
    slug: str,
    session_id: str,
    files: list[UploadFile],
    caller: CallerDep,
    hub: HubDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    session = uploads.get(hub, org, session_id)
    with _spool_folder(settings.data_dir) as folder:
        for upload in files:
            name = upload.filename or "upload.csv"
            temp = _spool(upload.file, folder, name, settings.max_upload_mb)
            session = uploads.receive_file(hub, org, session_id, name, temp)
    return session_json(hub, org, session)


@router.delete(
    "/orgs/{slug}/uploads/{session_id}/files/{name}", summary="Take a file out of the upload"
)
def delete_file(
    slug: str, session_id: str, name: str, caller: CallerDep, hub: HubDep
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    if name in {"", ".", ".."}:  # not a file name (and no blob key of one)
        raise HttpProblem(404, "not_found", f"the upload has no file called {name!r}")
    return session_json(hub, org, uploads.remove_file(hub, org, session_id, name))


@router.post(
    "/orgs/{slug}/uploads/{session_id}/validate",
    summary="Upload and validate: per file status and the grouped breakdown of issues",
)
def validate(
    slug: str,
    session_id: str,
    caller: CallerDep,
    hub: HubDep,
    body: ValidateBody | None = None,
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    levels = {code: Level.parse(level) for code, level in (body.levels if body else {}).items()}
    session, _ = upload_validation.run_validation(
        hub, org, session_id, levels=levels, committed_by=caller.who, source=caller.via
    )
    return session_json(hub, org, session)


def issues_json(page: IssuePage, offset: int) -> dict[str, Any]:
    """A page of issues: how many match in all, where the page starts, its issues."""
    return {"total": page.total, "offset": max(offset, 0), "issues": page.issues.to_dicts()}


@router.get(
    "/orgs/{slug}/uploads/{session_id}/issues",
    summary="Every issue of the last validation, paged (limit ≤ 1000) and filtered by file, "
    "column, code and level",
)
def issues(
    slug: str,
    session_id: str,
    caller: CallerDep,
    hub: HubDep,
    query: IssueQueryDep,
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    page = upload_validation.session_issues(hub, org, session_id, query)
    return issues_json(page, query.offset)


@router.post(
    "/orgs/{slug}/uploads/{session_id}/changes",
    summary="Verify Changes: records added, updated and removed per file; safeguards",
)
def changes(slug: str, session_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    return preview_json(upload_commit.changes(hub, org, session_id))


@router.get(
    "/orgs/{slug}/uploads/{session_id}/changes/{file}",
    summary="The detail of one file's changes, paged: change, key, name, column, old, new "
    "(q finds records by key or name, letter case aside)",
)
def change_detail(
    slug: str,
    session_id: str,
    file: str,
    caller: CallerDep,
    hub: HubDep,
    change: str | None = None,
    q: str | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    page = upload_commit.change_page(
        hub, org, session_id, file, change=change, search=q, offset=offset, limit=limit
    )
    return {"file": file, "total": page.total, "offset": offset, "rows": page.rows}


@router.post(
    "/orgs/{slug}/uploads/{session_id}/commit",
    summary="Commit: a new version (or Held by a safeguard without allow_deletions)",
)
def commit(
    slug: str,
    session_id: str,
    caller: CallerDep,
    hub: HubDep,
    body: CommitBody | None = None,
) -> dict[str, Any]:
    org = caller.org(hub, slug)
    # the service commits by compare-and-set: a second commit of the upload, in this process
    # or another, answers 409 (in progress, or already committed as version N)
    version, status, result = upload_commit.commit(
        hub,
        org,
        session_id,
        committed_by=caller.who,
        source=caller.via,
        allow_deletions=bool(body and body.allow_deletions),
        refuse_empty=caller.via == "web",  # the upload tool; API clients may record one
    )
    return {"version": version, "status": status, **preview_json(result)}


@router.post("/orgs/{slug}/uploads/{session_id}/reset", summary="Reset: start over")
def reset(slug: str, session_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    uploads.reset(hub, org, session_id)
    return session_json(hub, org, uploads.get(hub, org, session_id))
