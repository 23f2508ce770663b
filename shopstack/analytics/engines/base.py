"""What every warehouse engine must do: hand out the warehouse's tables as Ibis tables and
run an Ibis expression over them.

Metrics are written once, as Ibis expressions over these tables (shopstack/analytics/
metrics/), so DuckDB on one machine and Apache Spark on a cluster answer the same question
from the same definition. One contract suite (analytics/tests/test_engine_contract.py)
runs every metric on every engine over the same Parquet files and requires identical
answers.

A table that compaction has not written yet is an empty table with the layout's columns,
so a new shop's dashboards show zeros rather than errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from django.conf import settings

from shopstack.analytics.engines.files import location_has_parquet
from shopstack.analytics.warehouse.layout import DAILY_FACTS, DIMS, EVENTS, FACTS

# How a table's rows are kept under the root:
DAY_PARTITIONS = "day_partitions"  # <relative>/day=YYYY-MM-DD/*.parquet (a `day` column is added)
FILES = "files"  # <relative>/*.parquet, a file per snapshot day
FILE = "file"  # <relative>, one file


@dataclass(frozen=True)
class TableFiles:
    schema: pa.Schema
    relative: str
    kept_as: str


TABLES: dict[str, TableFiles] = {
    "events": TableFiles(EVENTS, "events", DAY_PARTITIONS),
    **{
        name: TableFiles(schema, f"facts/{name}", FILES)
        if name in DAILY_FACTS
        else TableFiles(schema, f"facts/{name}.parquet", FILE)
        for name, schema in FACTS.items()
    },
    **{name: TableFiles(schema, f"dims/{name}.parquet", FILE) for name, schema in DIMS.items()},
}


class WarehouseEngine:
    def __init__(self, root: str = "") -> None:
        # No root: the shop's ANALYTICS_WAREHOUSE_ROOT, read when first used (tests change it).
        self._root = root

    @property
    def root(self) -> str:
        return (self._root or settings.ANALYTICS_WAREHOUSE_ROOT).rstrip("/")

    def table(self, name: str) -> ir.Table:
        """The warehouse table `name` (see TABLES). Events carry a `day` column (the UTC
        date of occurred_at, the partition): filtering on it lets the engine skip files."""
        files = TABLES[name]
        location = f"{self.root}/{files.relative}"
        if not location_has_parquet(location, kept_as=files.kept_as):
            empty = files.schema.empty_table()
            if files.kept_as == DAY_PARTITIONS:
                empty = empty.append_column("day", pa.array([], type=pa.date32()))
            return self._empty(name, empty)
        return self._read(name, location, kept_as=files.kept_as)

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        """Run `expr` and return its rows."""
        raise NotImplementedError("WarehouseEngine subclasses must implement to_arrow()")

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        return self.to_arrow(expr).to_pylist()  # type: ignore[no-any-return]

    def kept(self, expr: ir.Table) -> ir.Table:
        """`expr` for a metric that reads it in several queries (or one query that unions it
        with itself many times). An engine that can hold the rows cheaply runs it once and
        hands back its rows; by default it is the expression, computed where it is used."""
        return expr

    def scalar(self, expr: ir.Scalar) -> Any:
        table = self.to_arrow(expr.name("value").as_table())
        return table.column(0)[0].as_py()

    def _read(self, name: str, location: str, *, kept_as: str) -> ir.Table:
        raise NotImplementedError("WarehouseEngine subclasses must implement _read()")

    def _empty(self, name: str, table: pa.Table) -> ir.Table:
        return ibis.memtable(table)
