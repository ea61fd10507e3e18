"""Blob storage in an S3 bucket (AWS S3 or an S3-compatible server: MinIO, Ceph, moto).

Chosen by `ROSTERPORT_BLOB_URL=s3://bucket/prefix`; `ROSTERPORT_S3_ENDPOINT` names an
S3-compatible server; credentials and region come from the standard `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY` and `AWS_DEFAULT_REGION` (or any other source boto3 reads). A blob
key `k` is the object `<prefix>/k`. Large files are uploaded in parts (boto3's managed
transfer) and read as streams; a reader that needs a local file (polars scanning Parquet)
gets a temporary copy in the scratch folder, deleted when it is done. Nothing is written
under the data dir's `blobs/` folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from rosterport import blob_keys
from rosterport.blobs import check_key
from rosterport.errors import BlobNotFoundError, ConfigurationError, StorageUnavailableError
from rosterport.files import private_folder

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PART = 64 << 20  # multipart uploads and copies in parts of 64 MB, above 64 MB
_MISSING = {"404", "NoSuchKey", "NotFound"}


def parse_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` as (bucket, prefix without slashes at its ends)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ConfigurationError(
            f"ROSTERPORT_BLOB_URL: {url!r} is not an S3 address; give s3://bucket or "
            "s3://bucket/prefix (or leave it unset to keep blobs under the data dir)"
        )
    return parts.netloc, parts.path.strip("/")


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code", "")) in _MISSING


class S3BlobStore:
    """Blobs as objects under `prefix` in `bucket`; `scratch` holds temporary local copies."""

    def __init__(self, client: S3Client, bucket: str, prefix: str, scratch: Path) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.scratch = scratch
        self.transfer = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART)
        private_folder(self.scratch)

    @classmethod
    def from_url(cls, url: str, scratch: Path, *, endpoint: str | None = None) -> S3BlobStore:
        bucket, prefix = parse_url(url)
        client = boto3.client(
            "s3",
            endpoint_url=endpoint or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )
        return cls(client, bucket, prefix, scratch)

    def _key(self, key: str) -> str:
        relative = check_key(key).as_posix()
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def _folder(self, prefix: str) -> str:
        return self._key(prefix) + "/"

    def _blob_key(self, object_key: str) -> str:
        return object_key[len(self.prefix) + 1 :] if self.prefix else object_key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def put_file(self, key: str, source: Path) -> None:
        """Uploaded in parts when large (an object appears only once every part is in)."""
        self.client.upload_file(str(source), self.bucket, self._key(key), Config=self.transfer)

    def put_with(self, key: str, write: Callable[[Path], None]) -> None:
        handle, name = tempfile.mkstemp(dir=self.scratch)
        os.close(handle)
        try:
            write(Path(name))
            self.put_file(key, Path(name))
        finally:
            Path(name).unlink(missing_ok=True)

    def _get(self, key: str) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _missing(error):
                raise BlobNotFoundError(f"no blob {key!r}") from None
            raise

    def get(self, key: str) -> bytes:
        body = self._get(key)["Body"]
        try:
            return cast(bytes, body.read())
        finally:
            body.close()

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        """The object's body, streamed from the server as it is read."""
        body = self._get(key)["Body"]
        try:
            yield cast(BinaryIO, body)
        finally:
            body.close()

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A download in a private temporary folder, under the blob's own file name (readers
        of a delivery go by file names)."""
        folder = Path(tempfile.mkdtemp(dir=self.scratch))
        try:
            target = folder / blob_keys.name_of(key)
            try:
                self.client.download_file(
                    self.bucket, self._key(key), str(target), Config=self.transfer
                )
            except ClientError as error:
                if _missing(error):
                    raise BlobNotFoundError(f"no blob {key!r}") from None
                raise
            yield target
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _head(self, key: str) -> Any:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _missing(error):
                return None
            raise

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise BlobNotFoundError(f"no blob {key!r}")
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def _objects(self, prefix: str) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._folder(prefix)
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"]

    def keys(self, prefix: str) -> Iterator[str]:
        yield from sorted(self._blob_key(k) for k in self._objects(prefix))

    def copy(self, source: str, target: str) -> None:
        """A copy inside the bucket (the bytes never leave the server; in parts when large)."""
        if not self.exists(source):
            raise BlobNotFoundError(f"no blob {source!r}")
        self.client.copy(
            {"Bucket": self.bucket, "Key": self._key(source)},
            self.bucket,
            self._key(target),
            Config=self.transfer,
        )

    def move_prefix(self, source: str, target: str) -> None:
        """Copy every blob, a snapshot's completion marker last, then delete the sources: a
        move cut short is finished by doing it again."""
        moved = sorted(self.keys(source), key=lambda k: blob_keys.name_of(k) == blob_keys.COMPLETE)
        for key in moved:
            self.copy(key, target + key[len(source) :])
        self._delete([self._key(k) for k in moved])

    def delete_prefix(self, prefix: str) -> None:
        self._delete([self._key(prefix), *self._objects(prefix)])

    def _delete(self, object_keys: list[str]) -> None:
        for start in range(0, len(object_keys), 1000):  # at most 1,000 per request
            batch = object_keys[start : start + 1000]
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )

    def ping(self) -> None:
        """The bucket answers (HEAD bucket) with these credentials."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            raise StorageUnavailableError(
                f"the S3 bucket {self.bucket!r} does not answer: check ROSTERPORT_BLOB_URL, "
                "ROSTERPORT_S3_ENDPOINT and the AWS credentials"
            ) from error
