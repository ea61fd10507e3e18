"""Version snapshots: a dataset's production state, one Parquet file per model file.

Secret columns (passwords) are split off into their own Parquet file, in the same row order,
encrypted as a whole with the data key; the rest stays plain Parquet so it can be scanned.
A snapshot is complete when its `_complete` marker exists: it is written last.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from rosterport.blobs import BlobStore
from rosterport.crypto import SecretBox
from rosterport.domain.changes import conform_state, empty_state
from rosterport.domain.schemas import DataModel, FileSchema

COMPLETE = "_complete"


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

        self.blobs.put_with(f"{prefix}/{schema.name}.parquet", write_public)
        if secrets:
            buffer = io.BytesIO()
            frame.select(secrets).write_parquet(buffer, compression="lz4")
            self.blobs.put(f"{prefix}/{schema.name}.secrets", self.box.encrypt(buffer.getvalue()))

    def copy_file(self, source: str, target: str, name: str) -> None:
        """Make file `name` of snapshot `target` the same as in `source`, without decoding it
        (snapshot files never change once written, so they are linked, not copied)."""
        for suffix in (".parquet", ".secrets"):
            key = f"{source}/{name}{suffix}"
            if self.blobs.exists(key):
                self.blobs.link(key, f"{target}/{name}{suffix}")

    def finish(self, prefix: str) -> None:
        """Mark the snapshot complete (written last)."""
        self.blobs.put(f"{prefix}/{COMPLETE}", b"")

    def read(self, prefix: str, model: DataModel) -> dict[str, pl.DataFrame]:
        """Every file's state (secrets decrypted)."""
        return {schema.name: self.read_file(prefix, model, schema.name) for schema in model.files}

    def read_file(self, prefix: str, model: DataModel, name: str) -> pl.DataFrame:
        schema = model.file(name)
        # every file is written, empty or not: a missing one is damage, never "no records"
        frame = pl.read_parquet(self.blobs.path(f"{prefix}/{name}.parquet"))
        secrets_key = f"{prefix}/{name}.secrets"
        if self.blobs.exists(secrets_key):
            plain = self.box.decrypt(self.blobs.get(secrets_key))
            frame = pl.concat([frame, pl.read_parquet(io.BytesIO(plain))], how="horizontal")
        return conform_state(schema, frame)

    def complete(self, prefix: str) -> bool:
        return self.blobs.exists(f"{prefix}/{COMPLETE}")
