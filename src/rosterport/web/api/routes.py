"""The REST API, `/api/v1`, assembled from its parts."""

from __future__ import annotations

from fastapi import APIRouter

from rosterport.web.api import (
    apps,
    directory,
    events,
    integrations,
    orgs,
    scim,
    sftp_exports,
    uploads,
    versions,
    webhooks,
)

PREFIX = "/api/v1"


def router() -> APIRouter:
    api = APIRouter(prefix=PREFIX)
    for module in (
        orgs,
        uploads,
        versions,
        integrations,
        apps,
        events,
        webhooks,
        sftp_exports,
        scim,
        directory,
    ):
        api.include_router(module.router)
    return api
