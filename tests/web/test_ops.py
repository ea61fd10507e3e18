"""Operations endpoints: health, readiness (database and blob store), Prometheus metrics."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from rosterport.bootstrap import build_blobs
from rosterport.store import jobs as queue
from rosterport.web.app import create_app
from tests.conftest import free_port
from tests.s3server import S3
from tests.web.conftest import Site


def test_healthz_answers_without_signing_in(site: Site) -> None:
    answer = site.client.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_readyz_checks_the_database_and_the_blob_store(site: Site) -> None:
    answer = site.client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "checks": {"database": "ok", "blobs": "ok"}}


def test_readyz_is_503_when_the_database_is_unreachable(site: Site) -> None:
    unreachable = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    hub = dataclasses.replace(site.hub, engine=unreachable)
    with TestClient(create_app(hub, site.settings, worker=False)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": "unreachable", "blobs": "ok"}
    assert "psycopg" not in answer.text  # the reason is not shown


def test_metrics_in_the_prometheus_text_format(site: Site) -> None:
    with site.hub.engine.begin() as conn:
        queue.enqueue(conn, "propagate", {"version_id": 1}, now=site.hub.clock())
    answer = site.client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert {
        "rosterport_jobs",
        "rosterport_oldest_queued_job_seconds",
        "rosterport_upload_sessions",
        "rosterport_versions",
        "rosterport_propagation_lag_seconds",
    } <= set(families)
    jobs = {
        (s.labels["kind"], s.labels["state"]): s.value for s in families["rosterport_jobs"].samples
    }
    assert sum(v for (kind, _), v in jobs.items() if kind == "propagate") == 1


def test_readyz_checks_an_s3_bucket(site: Site, s3: S3) -> None:
    on_s3 = site.settings.model_copy(update={"blob_url": s3.url("hub"), "s3_endpoint": s3.endpoint})
    hub = dataclasses.replace(site.hub, blobs=build_blobs(on_s3))
    with TestClient(create_app(hub, site.settings, worker=False)) as client:
        answer = client.get("/readyz")
    assert answer.json() == {"status": "ready", "checks": {"database": "ok", "blobs": "ok"}}
    assert s3.objects() == ["hub/health/readyz-probe"]


def test_readyz_is_503_when_the_bucket_does_not_answer(site: Site, s3: S3) -> None:
    wrong = site.settings.model_copy(
        update={"blob_url": "s3://no-such-bucket/hub", "s3_endpoint": s3.endpoint}
    )
    hub = dataclasses.replace(site.hub, blobs=build_blobs(wrong))
    with TestClient(create_app(hub, site.settings, worker=False)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": "ok", "blobs": "unreachable"}
    assert "no-such-bucket" not in answer.text  # the reason is logged, not shown
