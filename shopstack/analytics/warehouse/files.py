"""Reading and writing the warehouse's files, in a local folder or at any fsspec URL: the one
writer of every Parquet file in it (compaction, facts and dimensions, ad spend, snapshots,
and the demo simulator's days and made-up facts).

No reader ever sees a file half-written, and a writer killed at any moment leaves the
previous file as it was:

- a local folder: the file is written to a hidden temporary file beside it (same folder,
  so the same file system), flushed to disk, then renamed over the old one (a rename
  within a file system is atomic);
- an object store (s3://, gs://, memory://...): the file is written to a local temporary
  file, then uploaded to its key, and an object store makes a key's new content visible
  only once its upload is complete.

Writing is deterministic: the same rows give byte-identical files (fixed compression,
row groups of a fixed number of rows whatever batches they came in, the same columns
dictionary-encoded whoever writes, no timestamps in the metadata), so "compacting again
gives the same files" can be checked by a hash. Columns are written with the table's
schema whatever they are in memory (the simulator's dictionary-coded text is written as the
text it codes), so a day the simulator wrote and compaction rewrites keeps its bytes. The
bytes depend on the pyarrow version (it names itself in the footer).
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from fsspec.implementations.local import LocalFileSystem

from shopstack.analytics.warehouse.layout import PLAIN_COLUMNS, events_path
from shopstack.analytics.warehouse.state import WRITTEN, state_note
from shopstack.core.faults import fault_point

ROW_GROUP_ROWS = 128 * 1024
PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "write_statistics": True,
    "data_page_version": "1.0",
    "store_schema": True,
}
TEMPORARY_SUFFIX = ".tmp"
_DAY_FOLDER = re.compile(r"^day=(\d{4}-\d{2}-\d{2})$")


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

    def read(self, path: str, schema: pa.Schema, columns: list[str] | None = None) -> pa.Table | None:
        """The file's rows with `schema` (only `columns` of it, if given), or None when there
        is no such file."""
        if not self.fs.exists(path):
            return None
        if columns is not None:
            schema = pa.schema([schema.field(name) for name in columns])
        with self.fs.open(path, "rb") as stream:
            # ParquetFile, not read_table: a path with day=... in it must not grow a column.
            parquet = pq.ParquetFile(stream)
            present = [name for name in schema.names if name in parquet.schema_arrow.names]
            return conform(parquet.read(columns=present), schema)

    def read_bytes(self, path: str) -> bytes:
        return bytes(self.fs.cat_file(path))

    def write(
        self,
        path: str,
        schema: pa.Schema,
        parts: Iterable[pa.Table | pa.RecordBatch],
        *,
        durable: bool = True,
    ) -> int:
        """Write `parts` (in order) as the file at `path`, replacing any file there only once
        the new one is complete. Returns the number of rows written. Every write gives the
        warehouse a new stamp (state.py), so answers cached before it are not served again.

        `durable=False` skips the fsyncs of a local file (atomic still, but a power cut may
        leave the old file or an empty one): for files made again by rerunning their writer,
        such as the simulator's, where a sync per file doubled the run's time on a busy disk."""
        rows = self._replace(path, lambda stream: _write_parquet(stream, schema, parts), durable=durable)
        state_note(self, WRITTEN)
        return rows

    def write_bytes(self, path: str, data: bytes) -> None:
        """`data` as the file at `path` (a small one: the simulator's marker), replaced as a
        whole like a Parquet file, with a new stamp."""
        self._replace(path, lambda stream: stream.write(data), durable=True)
        state_note(self, WRITTEN)

    def _replace(self, path: str, write: Callable[[IO[bytes]], int], *, durable: bool) -> int:
        if self.is_local:
            return self._replace_local(path, write, durable=durable)
        handle, temporary = tempfile.mkstemp(suffix=".parquet")
        try:
            with os.fdopen(handle, "wb") as stream:
                written = write(stream)
            self.fs.put_file(temporary, path)
        finally:
            os.unlink(temporary)
        return written

    def _replace_local(self, path: str, write: Callable[[IO[bytes]], int], *, durable: bool) -> int:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}{TEMPORARY_SUFFIX}"
        try:
            with temporary.open("wb") as stream:
                written = write(stream)
                if durable:
                    stream.flush()
                    os.fsync(stream.fileno())
            fault_point("analytics_warehouse_before_rename")
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        if durable:
            _fsync_directory(target.parent)
        return written

    def delete(self, path: str) -> bool:
        """Delete the file at `path` if there is one; True if there was."""
        if not self.fs.exists(path):
            return False
        self.fs.rm_file(path)
        state_note(self, WRITTEN)
        return True

    def event_days(self) -> list[str]:
        """The UTC days (YYYY-MM-DD, ascending) that have an events file."""
        days = []
        for folder in self.listdir(f"{self.root}/events"):
            match = _DAY_FOLDER.match(folder.rstrip("/").rsplit("/", 1)[-1])
            if match and self.fs.isfile(events_path(self.root, match.group(1))):
                days.append(match.group(1))
        return sorted(days)

    def event_day_delete(self, day: str) -> None:
        """Delete the day's events file and its folder."""
        folder = events_path(self.root, day).rsplit("/", 1)[0]
        if self.fs.exists(folder):
            self.fs.rm(folder, recursive=True)
            state_note(self, WRITTEN)

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
    dictionary = _dictionary_columns(schema)
    with pq.ParquetWriter(stream, schema, use_dictionary=dictionary, **PARQUET_OPTIONS) as writer:

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


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    # One policy for every writer, so the same rows give the same bytes whoever writes them.
    return [name for name in schema.names if name not in PLAIN_COLUMNS]


def _fsync_directory(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
