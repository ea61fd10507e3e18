"""What only the S3 store does: objects under the prefix, multipart uploads, streamed
reads, temporary local copies removed, a bucket that does not answer, the setting."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import polars as pl
import pytest
from boto3.s3.transfer import TransferConfig

from rosterport.bootstrap import build_blobs, build_hub
from rosterport.config import Settings
from rosterport.domain.schemas import get_model
from rosterport.errors import ConfigurationError, StorageUnavailableError
from rosterport.s3blobs import S3BlobStore, parse_url
from tests.s3server import S3

MB = 1 << 20


def _store(s3: S3, tmp_path: Path, prefix: str = "district-hub") -> S3BlobStore:
    return S3BlobStore.from_url(s3.url(prefix), tmp_path / "scratch", endpoint=s3.endpoint)


def test_blobs_are_objects_under_the_prefix(s3: S3, tmp_path: Path) -> None:
    store = _store(s3, tmp_path)
    store.put("sessions/1/report.json", b"{}")
    assert s3.objects() == ["district-hub/sessions/1/report.json"]
    bare = S3BlobStore.from_url(s3.url(""), tmp_path / "scratch", endpoint=s3.endpoint)
    assert list(bare.keys("district-hub")) == ["district-hub/sessions/1/report.json"]


def test_a_large_file_goes_up_in_parts_and_comes_back_streamed(s3: S3, tmp_path: Path) -> None:
    store = _store(s3, tmp_path)
    store.transfer = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    big = tmp_path / "students.csv"
    big.write_bytes(os.urandom(12 * MB))
    store.put_file("uploads/a/files/students.csv", big)
    head = s3.client().head_object(
        Bucket=s3.bucket, Key="district-hub/uploads/a/files/students.csv"
    )
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three parts
    digest = hashlib.sha256()
    with store.open("uploads/a/files/students.csv") as stream:
        while chunk := stream.read(MB):
            assert len(chunk) <= MB
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(big.read_bytes()).hexdigest()
    store.copy("uploads/a/files/students.csv", "uploads/b/files/students.csv")  # in parts too
    assert store.size("uploads/b/files/students.csv") == 12 * MB


def test_local_copies_and_written_files_are_removed(s3: S3, tmp_path: Path) -> None:
    store = _store(s3, tmp_path)

    def write(path: Path) -> None:
        pl.DataFrame({"id": ["a", "b"]}).write_parquet(path)

    store.put_with("snapshots/x/students.parquet", write)
    with store.local_copy("snapshots/x/students.parquet") as path:
        assert path.is_relative_to(tmp_path / "scratch")
        assert pl.read_parquet(path)["id"].to_list() == ["a", "b"]
    assert list((tmp_path / "scratch").iterdir()) == []


def test_a_bucket_that_does_not_answer_fails_the_ping(s3: S3, tmp_path: Path) -> None:
    missing = S3BlobStore.from_url(
        "s3://no-such-bucket-here/x", tmp_path / "scratch", endpoint=s3.endpoint
    )
    with pytest.raises(StorageUnavailableError, match="no-such-bucket-here"):
        missing.ping()


@pytest.mark.parametrize("url", ["https://bucket/x", "s3:///prefix", "bucket/prefix"])
def test_an_address_that_is_not_s3_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="ROSTERPORT_BLOB_URL"):
        parse_url(url)


def test_the_setting_chooses_s3_and_nothing_lands_in_the_blob_folder(
    s3: S3, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", blob_url=s3.url("hub"), s3_endpoint=s3.endpoint)
    assert isinstance(build_blobs(settings), S3BlobStore)
    hub = build_hub(settings)
    model = get_model("passport-roster")
    hub.snapshots.write("snapshots/first", model, {})
    assert hub.snapshots.complete("snapshots/first")
    assert set(hub.snapshots.read("snapshots/first", model)) == {f.name for f in model.files}
    assert "hub/snapshots/first/_complete" in s3.objects("hub/")
    assert not (tmp_path / "data" / "blobs").exists()
    assert list((tmp_path / "data" / "tmp").iterdir()) == []
