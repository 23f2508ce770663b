"""Apache Spark: the same metrics for a shop whose warehouse outgrows one machine.

OPTIONS: `master` (default local[2]: Spark in this process's JVM, as tests and the
benchmark run it; spark://host:7077 or yarn for a cluster) and `conf` (extra Spark
settings). The session is made once per process; it needs a Java runtime (17 or newer).
"""

from __future__ import annotations

import threading
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from shopstack.analytics.engines.base import WarehouseEngine

_session_lock = threading.Lock()


class SparkEngine(WarehouseEngine):
    def __init__(self, root: str = "", master: str = "local[2]", conf: dict[str, str] | None = None) -> None:
        super().__init__(root)
        self._master = master
        self._conf = conf or {}
        self._backend: Any = None

    def _connection(self) -> Any:
        with _session_lock:
            if self._backend is None:
                from pyspark.sql import SparkSession

                builder = (
                    SparkSession.builder.master(self._master)
                    .appName("shopstack-analytics")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                )
                for key, value in self._conf.items():
                    builder = builder.config(key, value)
                session = builder.getOrCreate()
                session.sparkContext.setLogLevel("ERROR")
                self._backend = ibis.pyspark.connect(session)
            return self._backend

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        return self._connection().to_pyarrow(expr)

    def _read(self, name: str, location: str, *, kept_as: str) -> ir.Table:
        # A folder (day partitions, or a file per day) or a file: Spark reads each as it is.
        return self._connection().read_parquet(location)
