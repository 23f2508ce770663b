"""The analytics bench's work that needs Django, run in child processes by bench/analytics.py:

    .venv/bin/python -m bench.analytics_child TASK '<json arguments>'

Tasks: `summary` (what the simulated warehouse holds), `store` (the raw event store's
append rate, then compaction of a store full of the warehouse's last days), `dashboards`
(each dashboard's report, timed, on one engine). Each prints one line `BENCH_JSON {...}`.
The bench itself never imports Django: a broken app shows as a message, not a crash.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

MARKER = "BENCH_JSON "


def _setup(**settings_values: Any) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.test.utils import override_settings

    # As a test would: setting_changed resets what read the old values (caches included).
    override_settings(**settings_values).enable()
    from shopstack.core.backends import load_backend

    load_backend.cache_clear()


# What the data holds ---------------------------------------------------------------------


def summary(root: str) -> dict[str, Any]:
    """Enough to judge whether the simulated data is realistic for the queries."""
    import duckdb

    events = f"read_parquet('{root}/events/day=*/*.parquet', hive_partitioning=true)"
    orders = f"read_parquet('{root}/facts/orders.parquet')"
    connection = duckdb.connect()
    one = connection.execute(
        f"""SELECT count(*), min(day), max(day), count(DISTINCT day), count(DISTINCT product_id),
            count(DISTINCT visitor_id), count(DISTINCT session_id), count(DISTINCT customer_id),
            count(DISTINCT utm_campaign) FILTER (WHERE utm_campaign <> ''), count(DISTINCT country),
            count(*) FILTER (WHERE is_bot) FROM {events}"""
    ).fetchone()
    kinds = dict(
        connection.execute(f"SELECT kind, count(*) FROM {events} GROUP BY 1 ORDER BY 2 DESC").fetchall()
    )
    facts = connection.execute(
        "SELECT count(*), count(DISTINCT customer_id), min(placed_at)::DATE, max(placed_at)::DATE"
        f" FROM {orders}"
    ).fetchone()
    assert one is not None
    assert facts is not None
    names = (
        "events",
        "first_day",
        "last_day",
        "days",
        "products_seen",
        "visitors",
        "sessions",
        "customers_seen",
    )
    found: dict[str, Any] = dict(zip(names, one, strict=False))
    found.update(campaigns=one[8], countries=one[9], bot_events=one[10], kinds=kinds)
    found.update(
        orders=facts[0], order_customers=facts[1], orders_first_day=facts[2], orders_last_day=facts[3]
    )
    stock = connection.execute(f"SELECT count(*) FROM glob('{root}/facts/stock_levels/*.parquet')").fetchone()
    found["stock_snapshot_days"] = stock[0] if stock else 0
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in found.items()}


# The event store and compaction ----------------------------------------------------------


def _events_of_days(root: str, wanted: int) -> tuple[list[Any], list[str]]:
    """At least `wanted` events of the warehouse's last days, as AnalyticsEvents."""
    import pyarrow.parquet as pq

    from shopstack.analytics.schema import FIELD_NAMES, AnalyticsEvent
    from shopstack.analytics.warehouse.files import warehouse

    days: list[str] = []
    tables = []
    held = 0
    for day in reversed(warehouse(root).event_days()):
        table = pq.read_table(f"{root}/events/day={day}/events.parquet", columns=list(FIELD_NAMES))
        tables.append(table)
        days.append(day)
        held += table.num_rows
        if held >= wanted:
            break
    events = []
    for table in reversed(tables):
        for row in table.to_pylist():
            events.append(AnalyticsEvent(**row))
    return events, sorted(days)


def store(root: str, events: int) -> dict[str, Any]:
    """Append the warehouse's last days' events (at least `events`) to an empty SQLite event
    store through events_append, timed, then compact them into an empty warehouse, timed."""
    with tempfile.TemporaryDirectory(prefix="shopstack-bench-store-") as folder:
        _setup(
            ANALYTICS_EVENT_STORE={
                "BACKEND": "shopstack.analytics.store.sqlite_file.SqliteFileEventStore",
                "OPTIONS": {"path": f"{folder}/events.sqlite3"},
            },
            ANALYTICS_WAREHOUSE_ROOT=f"{folder}/warehouse",
        )
        from shopstack.analytics.services import events_append
        from shopstack.analytics.warehouse.compaction import events_compact

        loaded, days = _events_of_days(root, events)
        appended: dict[str, float] = {}
        # Batches of 100 as the events API appends them; of 500 as a web process's writer does.
        for size, part in ((100, loaded[: len(loaded) // 4]), (500, loaded[len(loaded) // 4 :])):
            started = time.perf_counter()
            cpu = time.process_time()
            for start in range(0, len(part), size):
                events_append(part[start : start + size])
            appended[f"batch_{size}"] = {  # type: ignore[assignment]
                "events": len(part),
                "seconds": time.perf_counter() - started,
                "cpu_seconds": time.process_time() - cpu,
            }
        started = time.perf_counter()
        cpu = time.process_time()
        report = events_compact()
        seconds = time.perf_counter() - started
        return {
            "days": days,
            "append": appended,
            "compaction": {
                "events": len(loaded),
                "days": len(days),
                "added": report.added,
                "seconds": seconds,
                "cpu_seconds": time.process_time() - cpu,
            },
        }


# Dashboards --------------------------------------------------------------------------------


def _reports(end: date, filters: dict[str, str]) -> dict[str, Callable[[], Any]]:
    from shopstack.analytics.reports import dashboards
    from shopstack.analytics.reports.query import report_query

    start = end - timedelta(days=29)
    query = report_query(
        {"range": "custom", "start": start.isoformat(), "end": end.isoformat(), **filters}, today=end
    )
    return {
        "overview": lambda: dashboards.overview_report(query),
        "funnel": lambda: dashboards.funnel_report(query),
        "products": lambda: dashboards.products_report(query),
        "search": lambda: dashboards.search_report(query),
        "campaigns": lambda: dashboards.campaigns_report(query),
        "customers": lambda: dashboards.customers_report(query),
        "fulfilment": lambda: dashboards.fulfilment_report(query, today=end + timedelta(days=1)),
        "inventory": lambda: dashboards.inventory_report(query),
    }


def dashboards(
    root: str, engine: str, end: str, reps: int, variants: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """Each dashboard's report (what its page shows: every metric, and the comparison
    period's where it has one) for the 30 days ending `end`, `reps` times, interleaved. The
    report cache is off, so every call computes. The first round (cold: files opened, the
    engine's plans made) is kept apart."""
    backend = {
        "duckdb": {"BACKEND": "shopstack.analytics.engines.duckdb.DuckDBEngine", "OPTIONS": {}},
        "spark": {
            "BACKEND": "shopstack.analytics.engines.spark.SparkEngine",
            "OPTIONS": {"master": "local[2]"},
        },
    }[engine]
    _setup(
        ANALYTICS_WAREHOUSE_ROOT=root,
        ANALYTICS_ENGINE=backend,
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
        },
    )
    last = date.fromisoformat(end)
    times: dict[str, dict[str, list[float]]] = {}
    errors: dict[str, str] = {}
    started = time.perf_counter()
    for round_number in range(reps + 1):
        for variant, filters in variants.items():
            for name, report in _reports(last, filters).items():
                key = f"{name}|{variant}"
                if key in errors:
                    continue
                begun = time.perf_counter()
                try:
                    report()
                except Exception as error:  # reported per dashboard, the others go on
                    errors[key] = f"{type(error).__name__}: {error}"[:300]
                    continue
                took = time.perf_counter() - begun
                slot = times.setdefault(key, {"cold": [], "warm": []})
                slot["cold" if round_number == 0 else "warm"].append(took)
    return {"engine": engine, "times": times, "errors": errors, "seconds": time.perf_counter() - started}


def main() -> None:
    task, arguments = sys.argv[1], json.loads(sys.argv[2])
    sys.setrecursionlimit(10_000)
    if task == "summary":
        result = summary(**arguments)
    elif task == "store":
        result = store(**arguments)
    elif task == "dashboards":
        result = dashboards(**arguments)
    else:
        raise SystemExit(f"unknown task {task}")
    print(MARKER + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
