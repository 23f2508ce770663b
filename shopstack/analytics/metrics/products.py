"""How each product does: looked at, put in carts, bought, sent back.

Views and carts come from the period's visits (product_view, cart_add events); units,
revenue, orders, refunds and returns from the lines (facts.order_lines) of the period's
revenue orders (revenue.py: placed in the period, paid, not cancelled). A line's revenue
is its own total, before order discounts, shipping and tax, so the products' revenue adds
up to less than the overview's. Conversion is orders containing the product per session
that viewed it; orders placed without a view (the API, an app) can lift it above 1.

The table lists every published product of dims.products and any other product with a
view, a cart add or a sale in the period; names come from the products dimension (else the
order line's). Filters: country, channel and device narrow visits and orders as everywhere;
a category keeps the products in it or below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal, get_args

import ibis
import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.revenue import revenue_orders
from shopstack.analytics.metrics.scope import category_products, visitor_events

SortColumn = Literal[
    "revenue", "net_revenue", "units", "orders", "views", "cart_sessions", "add_to_cart_rate", "conversion"
]
SORT_COLUMNS: tuple[str, ...] = get_args(SortColumn)
MAX_LIMIT = 500
COUNTS = ("views", "view_sessions", "cart_sessions", "units", "revenue", "refunded", "returned", "orders")


@dataclass(frozen=True)
class ProductRow:
    product_id: int
    name: str
    views: int  # product_view events
    view_sessions: int  # sessions that viewed it
    cart_sessions: int  # sessions that added it to the cart
    units: int
    revenue_minor: int
    refunded_minor: int
    units_returned: int
    orders: int  # revenue orders with a line of it

    @property
    def net_revenue_minor(self) -> int:
        return self.revenue_minor - self.refunded_minor

    @property
    def add_to_cart_rate(self) -> float | None:
        return self.cart_sessions / self.view_sessions if self.view_sessions else None

    @property
    def conversion(self) -> float | None:
        return self.orders / self.view_sessions if self.view_sessions else None

    @property
    def refund_rate(self) -> float | None:
        return self.refunded_minor / self.revenue_minor if self.revenue_minor else None

    @property
    def return_rate(self) -> float | None:
        return self.units_returned / self.units if self.units else None


@dataclass(frozen=True)
class ProductTable:
    rows: tuple[ProductRow, ...]
    total: int  # rows in the whole table, for paging


def product_table(
    engine: WarehouseEngine,
    period: Period,
    *,
    sort: str = "revenue",
    descending: bool = True,
    limit: int = 20,
    offset: int = 0,
) -> ProductTable:
    """A page of the table ordered by `sort` (ties by product id; products a ratio has no
    value for come last either way)."""
    if sort not in SORT_COLUMNS:
        raise ValueError(f"sort: one of {', '.join(SORT_COLUMNS)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: from 1 to {MAX_LIMIT}.")
    if offset < 0:
        raise ValueError("offset: 0 or more.")
    table = _table(engine, period)
    rows = _page(engine, table, sort=sort, descending=descending, limit=limit, offset=offset)
    total = int(engine.scalar(table.count()) or 0)
    return ProductTable(rows=rows, total=total)


def _page(
    engine: WarehouseEngine, table: ir.Table, *, sort: str, descending: bool, limit: int, offset: int
) -> tuple[ProductRow, ...]:
    key = _sort_key(table, sort)
    # Paged by a row number, not LIMIT ... OFFSET: Ibis's PySpark backend answers an offset
    # with its own row-number column left in the rows, which it then refuses to read.
    order = [key.isnull(), ibis.desc(key) if descending else key, table.product_id]
    numbered = table.mutate(position=ibis.row_number().over(order_by=order))
    page = numbered.filter(numbered.position >= offset, numbered.position < offset + limit)
    return tuple(_row(row) for row in engine.rows(page.order_by(page.position)))


# The best and worst lists are the first rows of the table in each direction: without its
# total, which only the paged table shows (a query over every product saved per list).
def products_best(engine: WarehouseEngine, period: Period, limit: int = 10) -> tuple[ProductRow, ...]:
    _check_limit(limit)
    return _page(engine, _table(engine, period), sort="revenue", descending=True, limit=limit, offset=0)


def products_worst(engine: WarehouseEngine, period: Period, limit: int = 10) -> tuple[ProductRow, ...]:
    """The lowest revenue first: published products that sold nothing come before any sale."""
    _check_limit(limit)
    return _page(engine, _table(engine, period), sort="revenue", descending=False, limit=limit, offset=0)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: from 1 to {MAX_LIMIT}.")


def products_viewed_not_bought(
    engine: WarehouseEngine,
    period: Period,
    *,
    min_views: int = 100,
    conversion_below: Fraction = Fraction(1, 100),
    limit: int = 20,
) -> tuple[ProductRow, ...]:
    """Products viewed at least `min_views` times whose conversion is below
    `conversion_below`, the most viewed first."""
    if min_views < 1:
        raise ValueError("min_views: 1 or more.")
    if not 0 < conversion_below <= 1:
        raise ValueError("conversion_below: above 0, at most 1.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: from 1 to {MAX_LIMIT}.")
    table = _table(engine, period)
    # orders / view_sessions < p / q, in integers (the same answer on every engine).
    rarely = table.filter(
        table.views >= min_views,
        table.orders * conversion_below.denominator < table.view_sessions * conversion_below.numerator,
    )
    rows = engine.rows(rarely.order_by([ibis.desc(rarely.views), rarely.product_id]).limit(limit))
    return tuple(_row(row) for row in rows)


def _table(engine: WarehouseEngine, period: Period) -> ir.Table:
    """One row per product: its name, whether it is listed, and COUNTS."""
    parts = ibis.union(_catalogue(engine), _visits(engine, period), _sales(engine, period), distinct=False)
    table = parts.group_by("product_id").aggregate(
        name=ibis.coalesce(parts.name.max(), parts.line_name.max(), ibis.literal("")),
        listed=parts.listed.max(),
        **{name: parts[name].sum().cast("int64") for name in COUNTS},
    )
    active = ibis.or_(*(table[name] > 0 for name in ("views", "cart_sessions", "units")))
    table = table.filter((table.listed == 1) | active)
    if period.filters.category_id is not None:
        table = table.filter(
            table.product_id.isin(category_products(engine, period.filters.category_id).product_id)
        )
    return table


def _part(table: ir.Table, **columns: ir.Value) -> ir.Table:
    """`columns` and zeros for the rest, in one shape for the union."""
    filled: dict[str, ir.Value] = {
        "product_id": columns.pop("product_id"),
        "name": columns.pop("name", ibis.literal(None, "string")),
        "line_name": columns.pop("line_name", ibis.literal(None, "string")),
        "listed": columns.pop("listed", ibis.literal(0, "int64")),
    }
    for name in COUNTS:
        filled[name] = columns.pop(name, ibis.literal(0, "int64")).cast("int64")
    return table.select(**filled)


def _catalogue(engine: WarehouseEngine) -> ir.Table:
    products = engine.table("products")
    return _part(
        products,
        product_id=products.product_id,
        name=products.name,
        listed=ibis.ifelse(products.is_published.fill_null(False), 1, 0).cast("int64"),
    )


def _visits(engine: WarehouseEngine, period: Period) -> ir.Table:
    events = visitor_events(engine, period)
    events = events.filter(events.kind.isin(("product_view", "cart_add")), events.product_id.notnull())
    viewed = events.kind == "product_view"
    added = events.kind == "cart_add"
    per_product = events.group_by("product_id").aggregate(
        views=ibis.ifelse(viewed, 1, 0).sum(),
        view_sessions=ibis.ifelse(viewed, events.session_id, ibis.literal(None, "string")).nunique(),
        cart_sessions=ibis.ifelse(added, events.session_id, ibis.literal(None, "string")).nunique(),
    )
    return _part(
        per_product,
        product_id=per_product.product_id,
        views=per_product.views,
        view_sessions=per_product.view_sessions,
        cart_sessions=per_product.cart_sessions,
    )


def _sales(engine: WarehouseEngine, period: Period) -> ir.Table:
    lines = engine.table("order_lines")
    lines = lines.filter(
        lines.order_id.isin(revenue_orders(engine, period).order_id), lines.product_id.notnull()
    )
    per_product = lines.group_by("product_id").aggregate(
        line_name=lines.product_name.max(),
        units=lines.quantity.sum(),
        revenue=lines.total_minor.sum(),
        refunded=lines.refunded_minor.sum(),
        returned=lines.quantity_returned.sum(),
        orders=lines.order_id.nunique(),
    )
    return _part(
        per_product,
        product_id=per_product.product_id,
        line_name=per_product.line_name,
        units=per_product.units.fill_null(0),
        revenue=per_product.revenue.fill_null(0),
        refunded=per_product.refunded.fill_null(0),
        returned=per_product.returned.fill_null(0),
        orders=per_product.orders,
    )


def _sort_key(table: ir.Table, sort: str) -> ir.Value:
    ratios = {
        "add_to_cart_rate": table.cart_sessions / table.view_sessions.nullif(0),
        "conversion": table.orders / table.view_sessions.nullif(0),
        "net_revenue": table.revenue - table.refunded,
    }
    return ratios[sort] if sort in ratios else table[sort]


def _row(row: dict[str, Any]) -> ProductRow:
    return ProductRow(
        product_id=int(row["product_id"]),
        name=row["name"] or "",
        views=int(row["views"]),
        view_sessions=int(row["view_sessions"]),
        cart_sessions=int(row["cart_sessions"]),
        units=int(row["units"]),
        revenue_minor=int(row["revenue"]),
        refunded_minor=int(row["refunded"]),
        units_returned=int(row["returned"]),
        orders=int(row["orders"]),
    )
