"""Warehouse engines (a backend family: base.py): what runs the metrics over the Parquet files."""

from __future__ import annotations

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.core.backends import load_backend


def warehouse_engine() -> WarehouseEngine:
    """The engine named by settings.ANALYTICS_ENGINE, one per process."""
    engine: WarehouseEngine = load_backend("ANALYTICS_ENGINE")
    return engine
