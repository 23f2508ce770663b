"""The warehouse's file writer: deterministic bytes, complete files only, older files readable."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopstack.analytics.warehouse import files
from shopstack.analytics.warehouse.files import conform, warehouse
from shopstack.analytics.warehouse.state import STATE_FOLDER

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
