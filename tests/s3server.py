"""A real S3 API server on loopback for the tests: moto in server mode (its own HTTP server
in a thread, spoken to over TCP by boto3 exactly as AWS S3 would be), one per test session,
and a fresh bucket per test (`s3`: an `S3`). tests/conftest.py offers the fixtures to every
test; moto is imported only when a test asks for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest


@dataclass(frozen=True)
class S3:
    endpoint: str
    bucket: str

    def url(self, prefix: str = "rosterport") -> str:
        return f"s3://{self.bucket}/{prefix}" if prefix else f"s3://{self.bucket}"

    def client(self):  # type: ignore[no-untyped-def]  # boto3's client type is generated
        return boto3.client("s3", endpoint_url=self.endpoint)

    def objects(self, prefix: str = "") -> list[str]:
        """Every object key in the bucket under `prefix`, sorted."""
        found: list[str] = []
        for page in (
            self.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        ):
            found += [o["Key"] for o in page.get("Contents", [])]
        return sorted(found)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint of a moto S3 server on 127.0.0.1 (a free port)."""
    from moto.server import ThreadedMotoServer

    from tests.conftest import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3:
    """A new, empty bucket; the standard AWS variables point boto3 at test credentials (no
    configuration file of the machine is read)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    found = S3(s3_server, f"rosterport-{uuid.uuid4().hex[:12]}")
    found.client().create_bucket(Bucket=found.bucket)
    return found
