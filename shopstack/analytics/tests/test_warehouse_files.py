"""The warehouse's file writer: deterministic bytes, complete files only, older files readable."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopstack.analytics.warehouse import files
from shopstack.analytics.warehouse.files import conform, warehouse
from shopstack.analytics.warehouse.state import STATE_FOLDER, state_read

SCHEMA = pa.schema([pa.field("id", pa.int64()), pa.field("name", pa.string())])


def _table(rows: int) -> pa.Table:
    return pa.table({"id": list(range(rows)), "name": [f"n{i % 13}" for i in range(rows)]}, schema=SCHEMA)


def test_the_bytes_depend_on_the_rows_not_on_how_they_were_batched(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "ROW_GROUP_ROWS", 1000)  # several row groups from a small table
    where = warehouse(str(tmp_path))
    table = _table(2500)

    where.write(f"{where.root}/one.parquet", SCHEMA, [table])
    where.write(f"{where.root}/many.parquet", SCHEMA, table.to_batches(max_chunksize=333))

    one, many = where.read_bytes(f"{where.root}/one.parquet"), where.read_bytes(f"{where.root}/many.parquet")
    assert one == many
    assert pq.ParquetFile(tmp_path / "one.parquet").metadata.num_row_groups == 3


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_one(tmp_path):
    where = warehouse(str(tmp_path))
    path = f"{where.root}/table.parquet"
    where.write(path, SCHEMA, [_table(3)])
    before = where.read_bytes(path)

    def parts():
        yield _table(5)
        raise RuntimeError("the database went away mid-table")

    with pytest.raises(RuntimeError):
        where.write(path, SCHEMA, parts())

    assert where.read_bytes(path) == before
    # (_state holds the stamp of the first, successful write.)
    assert sorted(item.name for item in tmp_path.iterdir() if item.name != STATE_FOLDER) == ["table.parquet"]


def test_an_empty_table_is_still_a_file_with_the_columns(tmp_path):
    where = warehouse(str(tmp_path))

    assert where.write(f"{where.root}/empty.parquet", SCHEMA, []) == 0

    assert where.read(f"{where.root}/empty.parquet", SCHEMA).schema.equals(SCHEMA)


def test_a_file_from_before_a_column_was_added_reads_with_it_empty():
    older = pa.table({"id": [1, 2]})

    assert conform(older, SCHEMA).to_pylist() == [{"id": 1, "name": None}, {"id": 2, "name": None}]


def test_a_file_written_without_syncing_has_the_same_bytes_and_is_still_replaced_whole(tmp_path, monkeypatch):
    where = warehouse(str(tmp_path))
    where.write(f"{where.root}/synced.parquet", SCHEMA, [_table(50)])
    synced = []
    monkeypatch.setattr(files.os, "fsync", lambda descriptor: synced.append(descriptor))

    where.write(f"{where.root}/unsynced.parquet", SCHEMA, [_table(50)], durable=False)

    assert synced == []
    assert where.read_bytes(f"{where.root}/unsynced.parquet") == where.read_bytes(
        f"{where.root}/synced.parquet"
    )
    assert sorted(item.name for item in tmp_path.iterdir() if item.name != STATE_FOLDER) == [
        "synced.parquet",
        "unsynced.parquet",
    ]


def test_small_files_are_replaced_whole_and_deleted(tmp_path):
    where = warehouse(str(tmp_path))
    path = f"{where.root}/marker.json"
    where.write_bytes(path, b'{"a": 1}')
    stamp = state_read(where).stamp
    where.write_bytes(path, b'{"a": 2}')

    assert where.read_bytes(path) == b'{"a": 2}'
    assert sorted(item.name for item in tmp_path.iterdir() if item.name != STATE_FOLDER) == ["marker.json"]
    assert state_read(where).stamp != stamp  # cached answers are not served again
    stamp = state_read(where).stamp
    assert where.delete(path) is True
    assert where.delete(path) is False
    assert state_read(where).stamp != stamp


def test_event_days_are_the_day_folders_that_hold_a_file(tmp_path):
    where = warehouse(str(tmp_path))
    for day in ("2026-03-15", "2026-03-14"):
        where.write(f"{where.root}/events/day={day}/events.parquet", SCHEMA, [_table(2)])
    (tmp_path / "events" / "day=2026-03-16").mkdir()  # a folder without its file yet
    (tmp_path / "events" / "notes").mkdir()

    assert where.event_days() == ["2026-03-14", "2026-03-15"]
    where.event_day_delete("2026-03-14")
    assert where.event_days() == ["2026-03-15"]
    assert (
        where.read(f"{where.root}/events/day=2026-03-15/events.parquet", SCHEMA, columns=["id"]).num_columns
        == 1
    )
