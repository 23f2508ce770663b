"""Writing and listing the warehouse's files, on a local folder or any filesystem pyarrow
reaches by URL (s3://, gs://, hdfs://).

A file is written under a temporary name and then renamed, so that a reader never sees half
a file: on a local disk the rename is atomic; on object stores it is a copy of a finished
object, which readers see whole or not at all.

(Written for the demo's simulated events; compaction writes the same files and may share
this module or replace it with its own writer.)
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from shopstack.analytics.warehouse.layout import events_path

_DAY = re.compile(r"^day=(\d{4}-\d{2}-\d{2})$")


def warehouse_fs(root: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem holding `root`, and `root` as a path on it."""
    if "://" in root:
        return pafs.FileSystem.from_uri(root)
    return pafs.LocalFileSystem(), str(Path(root).resolve())


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0]


def _write_atomic(fs: pafs.FileSystem, path: str, write: Any) -> None:
    fs.create_dir(_parent(path), recursive=True)
    temporary = f"{_parent(path)}/.tmp-{uuid.uuid4().hex}-{path.rsplit('/', 1)[1]}"
    try:
        with fs.open_output_stream(temporary) as stream:
            write(stream)
        fs.move(temporary, path)
    except BaseException:
        if fs.get_file_info(temporary).type != pafs.FileType.NotFound:
            fs.delete_file(temporary)
        raise


def parquet_write_atomic(root: str, relative: str, table: pa.Table, *, plain: tuple[str, ...] = ()) -> None:
    """Write `table` to `<root>/<relative>` as Parquet, whole or not at all. Columns are
    dictionary-encoded but those in `plain` (where nearly every value differs, the encoding
    only costs time). The Arrow schema is not stored: readers get the Parquet types, so a
    text column held as a dictionary in memory is read back as plain text."""
    fs, base = warehouse_fs(root)
    dictionary = [name for name in table.column_names if name not in plain]

    def write(stream: Any) -> None:
        pq.write_table(table, stream, compression="zstd", use_dictionary=dictionary, store_schema=False)

    _write_atomic(fs, f"{base}/{relative}", write)


def json_write_atomic(root: str, relative: str, document: dict[str, Any]) -> None:
    fs, base = warehouse_fs(root)
    data = json.dumps(document, indent=2, sort_keys=True).encode()
    _write_atomic(fs, f"{base}/{relative}", lambda stream: stream.write(data))


def json_read(root: str, relative: str) -> dict[str, Any] | None:
    fs, base = warehouse_fs(root)
    path = f"{base}/{relative}"
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return None
    with fs.open_input_stream(path) as stream:
        return json.loads(stream.read())


def event_day_relative(day: str) -> str:
    """The path of a day's events file under the root (layout.events_path without the root)."""
    return os.path.relpath(events_path("/r", day), "/r")


def event_days(root: str) -> list[str]:
    """The days (YYYY-MM-DD) that have an events file, in order."""
    fs, base = warehouse_fs(root)
    selector = pafs.FileSelector(f"{base}/events", allow_not_found=True, recursive=False)
    days = []
    for info in fs.get_file_info(selector):
        match = _DAY.match(info.base_name)
        if info.type == pafs.FileType.Directory and match:
            file = f"{info.path}/events.parquet"
            if fs.get_file_info(file).type == pafs.FileType.File:
                days.append(match.group(1))
    return sorted(days)


def event_day_read(root: str, day: str, columns: list[str] | None = None) -> pa.Table:
    fs, base = warehouse_fs(root)
    return pq.read_table(f"{base}/{event_day_relative(day)}", columns=columns, filesystem=fs)


def event_day_delete(root: str, day: str) -> None:
    fs, base = warehouse_fs(root)
    fs.delete_dir(f"{base}/{_parent(event_day_relative(day))}")


def file_delete(root: str, relative: str) -> bool:
    """Delete `<root>/<relative>` if it is there; True if it was."""
    fs, base = warehouse_fs(root)
    path = f"{base}/{relative}"
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return False
    fs.delete_file(path)
    return True
