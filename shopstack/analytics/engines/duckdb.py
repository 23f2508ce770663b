"""DuckDB in-process: the embedded tier's engine, and fast enough for a shop of millions of
events on one machine (the benchmark's analytics mode measures it)."""

from __future__ import annotations

import os
import threading

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from shopstack.analytics.engines.base import DAY_PARTITIONS, FILES, WarehouseEngine


class DuckDBEngine(WarehouseEngine):
    def __init__(self, root: str = "", threads: int = 0) -> None:
        super().__init__(root)
        self._threads = threads
        self._local = threading.local()

    def _connection(self) -> ibis.BaseBackend:
        # A connection per thread and process: a web worker's threads query at once.
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            connection = ibis.duckdb.connect()
            connection.raw_sql("SET TimeZone = 'UTC'")
            # Files are written whole and replaced by a rename, never changed in place:
            # their footers (schema, row groups, statistics) are read once, not per query.
            connection.raw_sql("SET parquet_metadata_cache = true")
            if self._threads:
                connection.raw_sql(f"SET threads = {int(self._threads)}")
            self._local.connection = connection
            self._local.pid = os.getpid()
            self._local.tables = {}
        return connection

    def table(self, name: str) -> ir.Table:
        # A table read once is a view over its files' glob, which DuckDB lists again at each
        # query, so new day files are seen: it is kept for the connection instead of
        # listing the folders and registering a new view each time a metric asks (a
        # dashboard asks dozens of times, and listing a year of day folders costs ~50 ms).
        self._connection()
        held = self._local.tables.get(f"{self.root}|{name}")
        return held if held is not None else super().table(name)

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        return self._connection().to_pyarrow(expr)

    def kept(self, expr: ir.Table) -> ir.Table:
        # Run once, held in memory (Arrow, read in place by DuckDB): a sub-result that a
        # query unions with itself fifteen times is otherwise worked out fifteen times.
        return ibis.memtable(self.to_arrow(expr))

    def _read(self, name: str, location: str, *, kept_as: str) -> ir.Table:
        connection = self._connection()
        if kept_as == DAY_PARTITIONS:
            table = connection.read_parquet(f"{location}/day=*/*.parquet", hive_partitioning=True)
        elif kept_as == FILES:
            table = connection.read_parquet(f"{location}/*.parquet")
        else:
            table = connection.read_parquet(location)
        # Only tables with files are kept: an empty one is looked for again next time.
        self._local.tables[f"{self.root}|{name}"] = table
        return table
