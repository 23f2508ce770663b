"""Rebuilding the facts and dimension snapshots from the shop's tables (facts.py, dims.py).

Each table is written whole and atomically (files.py), so a reader sees the previous
snapshot or the new one. Each table is read at its own moment: a row in one may refer to
a row that reached the shop after the other table was read (the next run catches up).
The stock levels are kept per day: today's snapshot replaces today's file only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from django.utils import timezone

from shopstack.analytics.warehouse import dims, facts
from shopstack.analytics.warehouse.files import Warehouse, warehouse
from shopstack.analytics.warehouse.layout import DIMS, FACTS, dim_path, fact_path
from shopstack.analytics.warehouse.lock import warehouse_lock
from shopstack.analytics.warehouse.state import TABLES_REBUILT, state_note


@dataclass(frozen=True)
class TableWritten:
    name: str  # "facts/orders", "dims/products", "facts/stock_levels/2026-03-14"
    rows: int


@dataclass
class TablesReport:
    tables: list[TableWritten] = field(default_factory=list)

    def rows(self, name: str) -> int:
        return next(table.rows for table in self.tables if table.name == name)


def _plan(root: str, day: str) -> list[tuple[str, str, pa.Schema, Callable[[], Iterator[pa.RecordBatch]]]]:
    plan = [
        (f"facts/{name}", fact_path(root, name), FACTS[name], build) for name, build in facts.REBUILT.items()
    ]
    plan.append(
        (
            f"facts/stock_levels/{day}",
            fact_path(root, "stock_levels", day),
            FACTS["stock_levels"],
            lambda: facts.stock_levels(datetime.fromisoformat(day).date()),
        )
    )
    plan += [
        (f"dims/{name}", dim_path(root, name), DIMS[name], build) for name, build in dims.REBUILT.items()
    ]
    return plan


TABLE_COUNT = len(facts.REBUILT) + 1 + len(dims.REBUILT)


def tables_rebuild(
    *,
    now: datetime | None = None,
    wait: bool = True,
    on_table: Callable[[TableWritten], None] | None = None,
) -> TablesReport:
    """Write every fact and dimension table anew (the stock levels as the snapshot of the
    UTC day of `now`). Without `wait`, raises WarehouseBusy if another rebuild is running."""
    day = (now or timezone.now()).astimezone(UTC).date().isoformat()
    where: Warehouse = warehouse()
    report = TablesReport()
    with warehouse_lock("tables", wait=wait):
        for name, path, schema, build in _plan(where.root, day):
            where.remove_temporary(path.rsplit("/", 1)[0])
            written = TableWritten(name=name, rows=where.write(path, schema, build()))
            report.tables.append(written)
            if on_table is not None:
                on_table(written)
        state_note(where, TABLES_REBUILT)
    return report
