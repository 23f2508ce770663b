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
            if self._threads:
                connection.raw_sql(f"SET threads = {int(self._threads)}")
            self._local.connection = connection
            self._local.pid = os.getpid()
        return connection

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        return self._connection().to_pyarrow(expr)

    def _read(self, name: str, location: str, *, kept_as: str) -> ir.Table:
        connection = self._connection()
        if kept_as == DAY_PARTITIONS:
            return connection.read_parquet(f"{location}/day=*/*.parquet", hive_partitioning=True)
        if kept_as == FILES:
            return connection.read_parquet(f"{location}/*.parquet")
        return connection.read_parquet(location)
