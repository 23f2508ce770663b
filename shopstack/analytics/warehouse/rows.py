"""Rows from the shop's database into Arrow record batches, a chunk at a time.

A fact table of a large shop (a million orders) is never held whole: the query is
streamed (`.iterator()`, a server-side cursor on PostgreSQL) as tuples, not model
instances, and turned into record batches of CHUNK_ROWS rows for the Parquet writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import pyarrow as pa

CHUNK_ROWS = 10_000

Row = Sequence[Any]


def record_batches(
    rows: Iterable[Row], schema: pa.Schema, convert: Callable[[Row], Row] | None = None
) -> Iterator[pa.RecordBatch]:
    """`rows` (tuples in `schema`'s column order once `convert`ed) as record batches."""
    source = iter(rows)
    while chunk := list(islice(source, CHUNK_ROWS)):
        converted = [convert(row) for row in chunk] if convert is not None else chunk
        columns = list(zip(*converted, strict=True))
        yield pa.RecordBatch.from_arrays(
            [pa.array(column, type=field.type) for column, field in zip(columns, schema, strict=True)],
            schema=schema,
        )
