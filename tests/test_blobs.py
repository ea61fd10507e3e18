"""The blob store's contract, held by both implementations: files under a folder
(`LocalBlobStore`) and objects in a bucket of a real S3 API server on loopback
(`S3BlobStore`, tests/s3server.py)."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from rosterport.blobs import BlobStore, LocalBlobStore
from rosterport.errors import BlobNotFoundError, InputError
from rosterport.s3blobs import S3BlobStore
from tests.s3server import S3


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    bucket: S3 = request.getfixturevalue("s3")
    return S3BlobStore.from_url(bucket.url(), tmp_path / "scratch", endpoint=bucket.endpoint)


def test_bytes_put_come_back(store: BlobStore) -> None:
    store.put("a/b.txt", b"hello")
    assert store.get("a/b.txt") == b"hello"
    assert store.exists("a/b.txt")
    assert store.size("a/b.txt") == 5
    store.put("a/b.txt", b"replaced")
    assert store.get("a/b.txt") == b"replaced"


def test_a_missing_blob_is_blob_not_found(store: BlobStore) -> None:
    assert not store.exists("nothing/here")
    with pytest.raises(BlobNotFoundError, match="nothing/here"):
        store.get("nothing/here")
    with pytest.raises(BlobNotFoundError), store.open("nothing/here"):
        pass
    with pytest.raises(BlobNotFoundError), store.local_copy("nothing/here"):
        pass
    with pytest.raises(BlobNotFoundError):
        store.size("nothing/here")
    with pytest.raises(BlobNotFoundError):
        store.copy("nothing/here", "elsewhere")


def test_files_and_writers_are_stored(store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "source.csv"
    source.write_bytes(b"id\n1\n2\n")
    store.put_file("files/source.csv", source)

    def write(path: Path) -> None:
        pl.DataFrame({"id": [1, 2, 3]}).write_parquet(path)

    store.put_with("files/frame.parquet", write)
    assert store.get("files/source.csv") == b"id\n1\n2\n"
    with store.open("files/source.csv") as stream:  # read a part at a time
        assert stream.read(3) == b"id\n"
        assert stream.read() == b"1\n2\n"
    with store.local_copy("files/frame.parquet") as path:
        assert path.name == "frame.parquet"  # readers of deliveries go by file names
        assert pl.scan_parquet(path).select(pl.col("id").sum()).collect().item() == 6
    assert pl.read_parquet(io.BytesIO(store.get("files/frame.parquet"))).height == 3


def test_keys_list_a_folder_sorted(store: BlobStore) -> None:
    for key in ("p/b", "p/a", "p/sub/c", "pp/d", "p"):
        if key != "p":
            store.put(key, key.encode())
    assert list(store.keys("p")) == ["p/a", "p/b", "p/sub/c"]  # not pp/d
    assert list(store.keys("none")) == []


def test_a_copy_keeps_the_bytes_of_its_time(store: BlobStore) -> None:
    store.put("src/file", b"first")
    store.copy("src/file", "dst/file")
    store.put("src/file", b"second")
    assert store.get("dst/file") == b"first"
    assert store.get("src/file") == b"second"


def test_a_folder_moves_whole(store: BlobStore) -> None:
    store.put("staged/a.parquet", b"a")
    store.put("staged/_complete", b"")
    store.put("staged/deep/b", b"b")
    store.move_prefix("staged", "snapshots/x")
    assert list(store.keys("staged")) == []
    assert list(store.keys("snapshots/x")) == [
        "snapshots/x/_complete",
        "snapshots/x/a.parquet",
        "snapshots/x/deep/b",
    ]
    assert store.get("snapshots/x/deep/b") == b"b"


def test_deleting_a_folder_or_a_blob(store: BlobStore) -> None:
    for key in ("s/1/files/a", "s/1/report.json", "s/2/files/a", "s/1x"):
        store.put(key, b"x")
    store.delete_prefix("s/1")
    assert not store.exists("s/1/files/a")
    assert not store.exists("s/1/report.json")
    assert store.exists("s/2/files/a")
    assert store.exists("s/1x")  # a sibling whose name starts the same stays
    store.delete_prefix("s/1x")
    assert not store.exists("s/1x")
    store.delete_prefix("never/there")  # nothing to delete is no error


@pytest.mark.parametrize("key", ["../escape", "/absolute", "", "a/../../b"])
def test_keys_escaping_the_store_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(InputError, match="invalid blob key"):
        store.put(key, b"x")


def test_the_store_answers_a_ping(store: BlobStore) -> None:
    store.ping()
