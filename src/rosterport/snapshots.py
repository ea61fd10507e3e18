"""Version snapshots: a dataset's production state, one Parquet file per model file.

Secret columns (passwords) are split off into their own Parquet file, in the same row order,
encrypted as a whole with the data key; the rest stays plain Parquet so it can be scanned.
A snapshot is complete when its `_complete` marker exists: it is written last.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from rosterport import blob_keys as keys
from rosterport.blobs import BlobStore
from rosterport.crypto import SecretBox
from rosterport.domain.production_state import conform_state, empty_state
from rosterport.domain.schemas import DataModel, FileSchema

COMPLETE = keys.COMPLETE


class SnapshotStore:
    """Reads and writes snapshots in a blob store."""

    def __init__(self, blobs: BlobStore, box: SecretBox) -> None:
        self.blobs = blobs
        self.box = box

    def write(self, prefix: str, model: DataModel, states: dict[str, pl.DataFrame]) -> None:
        """Write every file's state under `prefix`, then the completion marker."""
        for schema in model.files:
            self.write_file(prefix, schema, states.get(schema.name, empty_state(schema)))
        self.finish(prefix)

    def write_file(self, prefix: str, schema: FileSchema, frame: pl.DataFrame) -> None:
        """Write one file's state (secret columns encrypted, in their own blob)."""
        frame = conform_state(schema, frame)
        secrets = [c.name for c in schema.columns if c.secret]
        public = frame.drop(secrets)

        def write_public(path: Path) -> None:
            public.write_parquet(path, compression="lz4", statistics=False)

        self.blobs.put_with(keys.snapshot_file(prefix, schema.name), write_public)
        if secrets:
            buffer = io.BytesIO()
            frame.select(secrets).write_parquet(buffer, compression="lz4")
            self.blobs.put(
                keys.snapshot_secrets(prefix, schema.name), self.box.encrypt(buffer.getvalue())
            )

    def copy_file(self, source: str, target: str, name: str) -> None:
        """Make file `name` of snapshot `target` the same as in `source`, without decoding it
        (the local store links the files: snapshot files never change once written; an object
        store copies them within the bucket)."""
        for key_of in (keys.snapshot_file, keys.snapshot_secrets):
            if self.blobs.exists(key_of(source, name)):
                self.blobs.copy(key_of(source, name), key_of(target, name))

    def finish(self, prefix: str) -> None:
        """Mark the snapshot complete (written last)."""
        self.blobs.put(keys.snapshot_complete(prefix), b"")

    def read(self, prefix: str, model: DataModel) -> dict[str, pl.DataFrame]:
        """Every file's state (secrets decrypted)."""
        return {schema.name: self.read_file(prefix, model, schema.name) for schema in model.files}

    def read_file(self, prefix: str, model: DataModel, name: str) -> pl.DataFrame:
        schema = model.file(name)
        # every file is written, empty or not: a missing one is damage, never "no records"
        with self.blobs.local_copy(keys.snapshot_file(prefix, name)) as path:
            frame = pl.read_parquet(path)
        secrets_key = keys.snapshot_secrets(prefix, name)
        if self.blobs.exists(secrets_key):
            plain = self.box.decrypt(self.blobs.get(secrets_key))
            frame = pl.concat([frame, pl.read_parquet(io.BytesIO(plain))], how="horizontal")
        return conform_state(schema, frame)

    def complete(self, prefix: str) -> bool:
        return self.blobs.exists(keys.snapshot_complete(prefix))
