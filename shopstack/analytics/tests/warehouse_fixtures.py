"""Small hand-made warehouses for metric tests: events and facts written as the layout's
Parquet files under a temporary root, read by each engine in turn."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.store.columns import events_table
from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.layout import DAILY_FACTS, DIMS, FACTS, dim_path, events_path, fact_path


def at(text: str) -> datetime:
    """'2026-05-01 10:00' as a UTC time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def write_events(root: Path, events: Iterable[AnalyticsEvent]) -> None:
    by_day: dict[str, list[AnalyticsEvent]] = defaultdict(list)
    for event in events:
        by_day[event.occurred_at.astimezone(UTC).date().isoformat()].append(event)
    for day, items in by_day.items():
        table = events_table(sorted(items, key=lambda e: (e.occurred_at, e.event_id)))
        warehouse(str(root)).write(events_path(str(root), day), table.schema, [table])


def write_rows(root: Path, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows of a fact or dimension table; columns left out are null."""
    schema = FACTS.get(table) or DIMS[table]
    if table in DAILY_FACTS:
        # A file per snapshot day, as compaction keeps them.
        by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_day[row["day"].isoformat()].append(row)
        for day, day_rows in by_day.items():
            _write(root, Path(fact_path(str(root), table, day)), schema, day_rows)
        return
    path = fact_path(str(root), table) if table in FACTS else dim_path(str(root), table)
    _write(root, Path(path), schema, rows)


def _write(root: Path, path: Path, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
    # Through the warehouse's own writer, as compaction writes: it also gives a new stamp.
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    warehouse(str(root)).write(str(path), schema, [pa.table(columns, schema=schema)])
