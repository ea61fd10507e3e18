"""API: version history, downloads, restore, compare, and held uploads."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from rosterport.domain.changes import ChangeSet
from rosterport.services import history
from rosterport.services import versions as v
from rosterport.web.api.uploads import issues_json, preview_json
from rosterport.web.deps import CallerDep, HubDep, Id, IssueQueryDep, Limit, Offset, QueryId

router = APIRouter(tags=["versions"])
COMPARE_ROWS = 100  # detail rows per file in a comparison (counts are always complete)
CHUNK = 1 << 20


def attachment(data: bytes, media_type: str, filename: str) -> Response:
    """A download: the browser saves it as `filename`."""
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def streamed(
    chunks: Iterator[bytes], media_type: str, filename: str, *, done: IO[bytes] | None = None
) -> StreamingResponse:
    """A download sent as it is made, a chunk at a time (`done` is closed afterwards)."""
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        background=BackgroundTask(done.close) if done is not None else None,
    )


def _file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    handle.seek(0)
    while chunk := handle.read(CHUNK):
        yield chunk


class RestoreBody(BaseModel):
    dry_run: bool = Field(default=False, description="only show the changes a restore makes")
    allow_deletions: bool = False


@router.get("/orgs/{slug}/versions", summary="The version history, newest first")
def list_versions(
    slug: str,
    caller: CallerDep,
    hub: HubDep,
    model: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    org = caller.org(hub, slug)
    rows = history.history(hub, org, model, limit=max(1, min(limit, 1000)), offset=offset)
    return [r.to_dict() for r in rows]


@router.get("/orgs/{slug}/versions/{version_id}", summary="One version")
def one_version(slug: str, version_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    info = history.version_info(hub, caller.org(hub, slug), version_id)
    return {**info.to_dict(), "filtered": info.filtered}


@router.get(
    "/orgs/{slug}/versions/{version_id}/originals",
    summary="The uploaded files of a version, as a ZIP",
    response_class=Response,
)
def originals(slug: str, version_id: Id, caller: CallerDep, hub: HubDep) -> StreamingResponse:
    # the ZIP is written to a temporary file (never to memory), then sent from it
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response once sent
    try:
        history.write_originals(hub, caller.org(hub, slug), version_id, spool)
    except BaseException:
        spool.close()
        raise
    return streamed(_file_chunks(spool), "application/zip", f"version-{version_id}.zip", done=spool)


@router.get(
    "/orgs/{slug}/versions/{version_id}/report",
    summary="The validation errors report of a version, as CSV",
    response_class=Response,
)
def report(slug: str, version_id: Id, caller: CallerDep, hub: HubDep) -> StreamingResponse:
    chunks = history.report_download(hub, caller.org(hub, slug), version_id)
    return streamed(chunks, "text/csv; charset=utf-8", f"version-{version_id}-report.csv")


@router.get(
    "/orgs/{slug}/versions/{version_id}/issues",
    summary="The issues of a version's validation, paged and filtered",
)
def version_issues(
    slug: str,
    version_id: Id,
    caller: CallerDep,
    hub: HubDep,
    query: IssueQueryDep,
) -> dict[str, Any]:
    page = history.version_issues(hub, caller.org(hub, slug), version_id, query)
    return issues_json(page, query.offset)


@router.post(
    "/orgs/{slug}/versions/{version_id}/restore",
    summary="A new version equal to this one (with its own change preview)",
)
def restore(
    slug: str, version_id: Id, caller: CallerDep, hub: HubDep, body: RestoreBody | None = None
) -> dict[str, Any]:
    options = body or RestoreBody()
    version, status, result = history.restore(
        hub,
        caller.org(hub, slug),
        version_id,
        committed_by=caller.who,
        source=caller.via,
        dry_run=options.dry_run,
        allow_deletions=options.allow_deletions,
    )
    return {"version": version, "status": status, **preview_json(result)}


@router.post("/orgs/{slug}/versions/{version_id}/approve", summary="Commit a held version")
def approve(slug: str, version_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    v.approve(hub, org, version_id)
    return history.version_info(hub, org, version_id).to_dict()


@router.post("/orgs/{slug}/versions/{version_id}/discard", summary="Drop a held version")
def discard(slug: str, version_id: Id, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    org = caller.org(hub, slug)
    v.discard(hub, org, version_id)
    return history.version_info(hub, org, version_id).to_dict()


def compare_json(changes: ChangeSet, first: int, second: int) -> dict[str, Any]:
    return {
        "first": first,
        "second": second,
        "changes": changes.counts(),
        "detail": {
            name: file_changes.page(0, COMPARE_ROWS).to_dicts()
            for name, file_changes in changes.files.items()
        },
    }


@router.get("/orgs/{slug}/compare", summary="What changes from version `first` to `second`")
def compare(
    slug: str, first: QueryId, second: QueryId, caller: CallerDep, hub: HubDep
) -> dict[str, Any]:
    changes = history.compare(hub, caller.org(hub, slug), first, second)
    return compare_json(changes, first, second)
