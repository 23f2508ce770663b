"""Reading and writing the warehouse's Parquet files, in a local folder or at any fsspec URL.

No reader ever sees a file half-written, and a writer killed at any moment leaves the
previous file as it was:

- a local folder: the file is written to a hidden temporary file beside it (same folder,
  so the same file system), flushed to disk, then renamed over the old one (a rename
  within a file system is atomic);
- an object store (s3://, gs://, memory://...): the file is written to a local temporary
  file, then uploaded to its key, and an object store makes a key's new content visible
  only once its upload is complete.

Writing is deterministic: the same rows give byte-identical files (fixed compression,
row groups of a fixed number of rows whatever batches they came in, no timestamps in the
metadata), so "compacting again gives the same files" can be checked by a hash. The bytes
depend on the pyarrow version (it names itself in the footer).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from fsspec.implementations.local import LocalFileSystem

from shopstack.analytics.warehouse.state import WRITTEN, state_note
from shopstack.core.faults import fault_point

ROW_GROUP_ROWS = 128 * 1024
PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "store_schema": True,
}
TEMPORARY_SUFFIX = ".tmp"


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns in its order: a column the file predates
    (one added to the layout since) comes back empty, a column the layout dropped is left out."""
    columns = [
        table.column(field.name).cast(field.type)
        if field.name in table.column_names
        else pa.nulls(table.num_rows, type=field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


@dataclass(frozen=True)
class Warehouse:
    """The warehouse root: `fs` is its file system and `root` the path on it (no protocol)."""

    fs: fsspec.AbstractFileSystem
    root: str

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(path))

    def read(self, path: str, schema: pa.Schema) -> pa.Table | None:
        """The file's rows with `schema`, or None when there is no such file."""
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "rb") as stream:
            # ParquetFile, not read_table: a path with day=... in it must not grow a column.
            return conform(pq.ParquetFile(stream).read(), schema)

    def read_bytes(self, path: str) -> bytes:
        return bytes(self.fs.cat_file(path))

    def write(self, path: str, schema: pa.Schema, parts: Iterable[pa.Table | pa.RecordBatch]) -> int:
        """Write `parts` (in order) as the file at `path`, replacing any file there only once
        the new one is complete. Returns the number of rows written. Every write gives the
        warehouse a new stamp (state.py), so answers cached before it are not served again."""
        if self.is_local:
            rows = self._write_local(path, schema, parts)
        else:
            rows = self._write_remote(path, schema, parts)
        state_note(self, WRITTEN)
        return rows

    def _write_remote(self, path: str, schema: pa.Schema, parts: Iterable[pa.Table | pa.RecordBatch]) -> int:
        handle, temporary = tempfile.mkstemp(suffix=".parquet")
        try:
            with os.fdopen(handle, "wb") as stream:
                rows = _write_parquet(stream, schema, parts)
            self.fs.put_file(temporary, path)
        finally:
            os.unlink(temporary)
        return rows

    def _write_local(self, path: str, schema: pa.Schema, parts: Iterable[pa.Table | pa.RecordBatch]) -> int:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}{TEMPORARY_SUFFIX}"
        try:
            with temporary.open("wb") as stream:
                rows = _write_parquet(stream, schema, parts)
                stream.flush()
                os.fsync(stream.fileno())
            fault_point("analytics_warehouse_before_rename")
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fsync_directory(target.parent)
        return rows

    def remove_temporary(self, folder: str) -> int:
        """Delete the temporary files a killed writer left in `folder` (local folders only:
        an unfinished upload leaves nothing). Call only while holding the writers' lock."""
        if not self.is_local or not Path(folder).is_dir():
            return 0
        leftovers = [item for item in Path(folder).iterdir() if item.name.endswith(TEMPORARY_SUFFIX)]
        for item in leftovers:
            item.unlink(missing_ok=True)
        return len(leftovers)

    def listdir(self, folder: str) -> list[str]:
        """Paths of the files directly in `folder` (empty when it does not exist)."""
        if not self.fs.exists(folder):
            return []
        return sorted(str(path) for path in self.fs.ls(folder, detail=False))


def warehouse(root: str | None = None) -> Warehouse:
    """The warehouse at `root` (a folder or an fsspec URL), by default ANALYTICS_WAREHOUSE_ROOT."""
    url = str(root if root is not None else settings.ANALYTICS_WAREHOUSE_ROOT)
    fs, path = fsspec.core.url_to_fs(url)
    return Warehouse(fs=fs, root=str(path).rstrip("/") or "/")


def _write_parquet(stream: IO[bytes], schema: pa.Schema, parts: Iterable[pa.Table | pa.RecordBatch]) -> int:
    pending: list[pa.Table] = []
    pending_rows = 0
    written = 0
    with pq.ParquetWriter(stream, schema, **PARQUET_OPTIONS) as writer:

        def flush(rows: int) -> None:
            # Row groups of exactly ROW_GROUP_ROWS rows (the last one fewer), each one chunk,
            # so the bytes depend on the rows only, not on how they were batched.
            nonlocal pending, pending_rows, written
            table = pa.concat_tables(pending).combine_chunks()
            writer.write_table(table.slice(0, rows), row_group_size=ROW_GROUP_ROWS)
            rest = table.slice(rows)
            pending, pending_rows = ([rest], rest.num_rows) if rest.num_rows else ([], 0)
            written += rows
            fault_point("analytics_warehouse_writing")

        for part in parts:
            table = part if isinstance(part, pa.Table) else pa.Table.from_batches([part])
            if table.num_rows == 0:
                continue
            pending.append(conform(table, schema))
            pending_rows += table.num_rows
            while pending_rows >= ROW_GROUP_ROWS:
                flush(ROW_GROUP_ROWS)
        if pending_rows:
            flush(pending_rows)
    return written


def _fsync_directory(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
