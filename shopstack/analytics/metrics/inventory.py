"""What is on the shelf and what running out costs: stock status, days of cover, days out
of stock and the sales they likely lost.

From facts.stock_levels (one row per variant and warehouse per snapshot day: the shop's
date of the compaction) and the order lines of orders that count (not cancelled).
Available is quantity - allocated - reserved, summed over warehouses: stock in any
warehouse can be sold. Filters: the category filter narrows to its products; country,
channel and device do not apply, since stock is shared by every visitor and every
market, and cover must reflect all of the demand on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
from django.conf import settings

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.revenue import is_order, is_revenue
from shopstack.analytics.metrics.scope import category_products

COVER_DAYS = 28  # days of sales behind days of cover
_ZERO = ibis.literal(0, type="int64")


@dataclass(frozen=True)
class StockStatus:
    snapshot_day: date | None  # the period's last snapshot; None when it has none
    in_stock: int  # variants with more than the low-stock threshold available
    low: int  # variants with 1 .. threshold available
    out_of_stock: int  # variants with nothing available


@dataclass(frozen=True)
class ProductStock:
    product_id: int
    name: str
    price_minor: int | None  # the products dim's current price
    available: int  # at the period's last snapshot
    units_sold_recently: int  # in the COVER_DAYS days up to the period's end
    snapshot_days: int  # days of the period with a snapshot of the product
    out_of_stock_days: int  # ... with nothing available
    units_sold_in_stock: int  # units sold in the period on the days it was in stock

    @property
    def cover_days(self) -> float | None:
        """How many days the stock lasts at the recent rate of sale; None when none sold."""
        if not self.units_sold_recently:
            return None
        return max(self.available, 0) * COVER_DAYS / self.units_sold_recently

    @property
    def in_stock_days(self) -> int:
        return self.snapshot_days - self.out_of_stock_days

    @property
    def lost_units(self) -> float | None:
        """Days out of stock x units sold per day in stock (None: never in stock to tell)."""
        if not self.out_of_stock_days:
            return 0.0
        if not self.in_stock_days:
            return None
        return self.out_of_stock_days * self.units_sold_in_stock / self.in_stock_days

    @property
    def lost_sales_minor(self) -> float | None:
        lost = self.lost_units
        if lost is None or self.price_minor is None:
            return None
        return lost * self.price_minor


@dataclass(frozen=True)
class Inventory:
    status: StockStatus
    products: tuple[ProductStock, ...]  # products with a snapshot in the period, by id


def inventory(engine: WarehouseEngine, period: Period, low_stock_units: int | None = None) -> Inventory:
    threshold = settings.ANALYTICS_LOW_STOCK_UNITS if low_stock_units is None else low_stock_units
    stock = _stock_in(engine, period)
    return Inventory(status=_status(engine, stock, threshold), products=_products(engine, period, stock))


def _stock_in(engine: WarehouseEngine, period: Period) -> ir.Table:
    stock = engine.table("stock_levels")
    stock = stock.filter(stock.day >= period.start, stock.day <= period.end)
    if period.filters.category_id is not None:
        stock = stock.filter(
            stock.product_id.isin(category_products(engine, period.filters.category_id).product_id)
        )
    available = stock.quantity.fill_null(0) - stock.allocated.fill_null(0) - stock.reserved.fill_null(0)
    return stock.select("day", "variant_id", "product_id", available=available.cast("int64"))


def _status(engine: WarehouseEngine, stock: ir.Table, threshold: int) -> StockStatus:
    latest = stock.filter(stock.day == stock.day.max())
    variants = latest.group_by("day", "variant_id").aggregate(available=latest.available.sum())
    counts = variants.aggregate(
        day=variants.day.max(),
        out=_count(variants.available <= 0),
        low=_count((variants.available > 0) & (variants.available <= threshold)),
        stocked=_count(variants.available > threshold),
    )
    row = engine.rows(counts)[0]
    return StockStatus(
        snapshot_day=row["day"],
        in_stock=int(row["stocked"] or 0),
        low=int(row["low"] or 0),
        out_of_stock=int(row["out"] or 0),
    )


def _products(engine: WarehouseEngine, period: Period, stock: ir.Table) -> tuple[ProductStock, ...]:
    latest = stock.filter(stock.day == stock.day.max())
    on_hand = latest.group_by("product_id").aggregate(available=latest.available.sum().cast("int64"))

    recent_window = Period(
        period.end - timedelta(days=COVER_DAYS - 1), period.end, tz=period.tz, filters=period.filters
    )
    recent_lines = _sold_lines(engine, recent_window)
    recent = recent_lines.group_by("product_id").aggregate(units=recent_lines.quantity.sum().cast("int64"))

    daily_stock = stock.group_by("product_id", "day").aggregate(available=stock.available.sum())
    lines = _sold_lines(engine, period)
    daily_sales = lines.group_by(lines.product_id, day=period.local_date(lines.placed_at)).aggregate(
        units=lines.quantity.sum().cast("int64")
    )
    days = daily_stock.left_join(
        daily_sales, (daily_stock.product_id == daily_sales.product_id) & (daily_stock.day == daily_sales.day)
    )
    in_stock = days.available > 0
    per_day = days.group_by(days.product_id).aggregate(
        snapshot_days=days.count(),
        out_days=ibis.ifelse(in_stock, 0, 1).sum().cast("int64"),
        in_stock_units=ibis.ifelse(in_stock, days.units.fill_null(0), 0).sum().cast("int64"),
    )

    parts = ibis.union(
        on_hand.select(
            "product_id", "available", units=_ZERO, snapshot_days=_ZERO, out_days=_ZERO, in_stock_units=_ZERO
        ),
        recent.select(
            "product_id",
            available=_ZERO,
            units="units",
            snapshot_days=_ZERO,
            out_days=_ZERO,
            in_stock_units=_ZERO,
        ),
        per_day.select(
            "product_id",
            available=_ZERO,
            units=_ZERO,
            snapshot_days="snapshot_days",
            out_days="out_days",
            in_stock_units="in_stock_units",
        ),
    )
    totals = parts.group_by("product_id").aggregate(
        **{name: parts[name].sum().cast("int64") for name in parts.columns[1:]}
    )
    totals = totals.filter(totals.snapshot_days > 0)
    products = engine.table("products").select("product_id", "name", "price_minor")
    named = totals.left_join(products, totals.product_id == products.product_id).select(
        totals, products.name, products.price_minor
    )
    return tuple(
        ProductStock(
            product_id=int(row["product_id"]),
            name=row["name"] or "",
            price_minor=row["price_minor"],
            available=int(row["available"]),
            units_sold_recently=int(row["units"]),
            snapshot_days=int(row["snapshot_days"]),
            out_of_stock_days=int(row["out_days"]),
            units_sold_in_stock=int(row["in_stock_units"]),
        )
        for row in sorted(engine.rows(named), key=lambda row: row["product_id"])
    )


def _sold_lines(engine: WarehouseEngine, period: Period) -> ir.Table:
    """Order lines placed in `period` of orders that count, in its category if filtered."""
    lines = engine.table("order_lines")
    lines = lines.filter(period.contains(lines.placed_at))
    orders = engine.table("orders")
    counted = orders.filter(period.contains(orders.placed_at), is_order(orders), is_revenue(orders))
    lines = lines.filter(lines.order_id.isin(counted.order_id))
    if period.filters.category_id is not None:
        lines = lines.filter(
            lines.product_id.isin(category_products(engine, period.filters.category_id).product_id)
        )
    return lines


def _count(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition, 1, 0).sum().cast("int64")
