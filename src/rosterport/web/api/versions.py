"""API: version history, downloads, restore, compare, and held uploads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from rosterport.domain.changes import ChangeSet
from rosterport.services import history
from rosterport.services import versions as v
from rosterport.web.api.uploads import preview_json
from rosterport.web.deps import CallerDep, HubDep, Id, Limit, Offset, QueryId

router = APIRouter(tags=["versions"])
COMPARE_ROWS = 100  # detail rows per file in a comparison (counts are always complete)


def attachment(data: bytes, media_type: str, filename: str) -> Response:
    """A download: the browser saves it as `filename`."""
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


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
def originals(slug: str, version_id: Id, caller: CallerDep, hub: HubDep) -> Response:
    data = history.download(hub, caller.org(hub, slug), version_id, "originals")
    return attachment(data, "application/zip", f"version-{version_id}.zip")


@router.get(
    "/orgs/{slug}/versions/{version_id}/report",
    summary="The validation errors report of a version, as CSV",
    response_class=Response,
)
def report(slug: str, version_id: Id, caller: CallerDep, hub: HubDep) -> Response:
    data = history.download(hub, caller.org(hub, slug), version_id, "report")
    return attachment(data, "text/csv; charset=utf-8", f"version-{version_id}-report.csv")


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
