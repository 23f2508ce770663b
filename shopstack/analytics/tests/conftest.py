"""Shared test helpers: engines for the metric contract suite (every metric test runs on
DuckDB and on Spark); browsers with real User-Agents and the events the store holds, for the
collection tests (requests write through in tests: ANALYTICS_FLUSH_SECONDS = 0)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shopstack.analytics.devices import cookieless_rate
from shopstack.analytics.engines.duckdb import DuckDBEngine
from shopstack.analytics.engines.spark import SparkEngine
from shopstack.analytics.store import event_store

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


DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
TABLET = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def recorded(kind: str | None = None) -> list[dict[str, Any]]:
    """Every event the store holds (all days), oldest first; only `kind` if given."""
    store = event_store()
    rows = [row for day in store.days() for row in store.read_day(day).events.to_pylist()]
    rows.sort(key=lambda row: row["occurred_at"])
    return [row for row in rows if kind is None or row["kind"] == kind]


@pytest.fixture(autouse=True)
def _fresh_behaviour_counts():
    # The behaviour rule keeps per-process counts; each test starts with none.
    cookieless_rate.clear()
    yield
    cookieless_rate.clear()


@pytest.fixture
def browser() -> Client:
    return Client(headers={"User-Agent": DESKTOP})


@pytest.fixture
def phone() -> Client:
    return Client(headers={"User-Agent": PHONE})
