"""Operations endpoints: `/healthz` (the process answers), `/readyz` (the database and the
blob store answer), `/metrics` (Prometheus text format, from the metadata database so every
process publishes the same figures). None needs signing in and none reveals roster data."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from rosterport import blob_keys
from rosterport.services.hub import Hub
from rosterport.store.metrics import figures

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
PROBE = blob_keys.READY_PROBE


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """Ready to serve: the database answers and the blob store takes and gives back a blob."""
    hub = _hub(request)
    checks: dict[str, str] = {}
    try:
        with hub.engine.connect() as conn:
            conn.execute(sa.select(1))
        checks["database"] = "ok"
    except Exception:  # any failure means not ready; the reason is logged, not shown
        log.warning("/readyz: the database is unreachable", exc_info=True)
        checks["database"] = "unreachable"
    try:
        hub.blobs.ping()  # S3: HEAD bucket, so a wrong bucket or credentials say so first
        hub.blobs.put(PROBE, b"ok")
        checks["blobs"] = "ok" if hub.blobs.get(PROBE) == b"ok" else "unreadable"
    except Exception:  # as above
        log.warning("/readyz: the blob store is unreachable", exc_info=True)
        checks["blobs"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


class _Figures(Collector):
    """Reads the figures once per scrape."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        with self.hub.engine.connect() as conn:
            found = figures(conn, self.hub.clock())
        jobs = GaugeMetricFamily(
            "rosterport_jobs", "Jobs in the queue by kind and state", labels=["kind", "state"]
        )
        for (kind, state), count in sorted(found.jobs.items()):
            jobs.add_metric([kind, state], count)
        yield jobs
        oldest = GaugeMetricFamily(
            "rosterport_oldest_queued_job_seconds",
            "Age of the oldest due queued job, by kind",
            labels=["kind"],
        )
        for kind, age in sorted(found.oldest_queued_seconds.items()):
            oldest.add_metric([kind], age)
        yield oldest
        uploads = GaugeMetricFamily(
            "rosterport_upload_sessions", "Upload sessions by state", labels=["state"]
        )
        for state, count in sorted(found.uploads.items()):
            uploads.add_metric([state], count)
        yield uploads
        versions = GaugeMetricFamily("rosterport_versions", "Versions by status", labels=["status"])
        for status, count in sorted(found.versions.items()):
            versions.add_metric([status], count)
        yield versions
        yield GaugeMetricFamily(
            "rosterport_propagation_lag_seconds",
            "Age of the oldest version still pending propagation (0 when none)",
            value=found.propagation_lag_seconds,
        )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The queue, uploads, versions and propagation lag in the Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(_hub(request)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
