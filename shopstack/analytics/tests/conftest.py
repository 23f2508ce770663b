"""Engines for the metric contract suite: every metric test runs on DuckDB and on Spark."""

from __future__ import annotations

import pytest

from shopstack.analytics.engines.duckdb import DuckDBEngine
from shopstack.analytics.engines.spark import SparkEngine

# One Spark session per test process: starting its JVM takes seconds.
_spark: dict[str, SparkEngine] = {}


@pytest.fixture(params=["duckdb", "spark"])
def engine_for(request):
    """engine_for(root) -> an engine of this test's kind reading the warehouse at `root`."""

    def make(root) -> DuckDBEngine | SparkEngine:
        if request.param == "duckdb":
            return DuckDBEngine(root=str(root))
        shared = _spark.setdefault("engine", SparkEngine(root=str(root), master="local[1]"))
        shared._root = str(root)
        return shared

    make.kind = request.param  # type: ignore[attr-defined]
    return make
