"""Which orders a period holds, and which of them are revenue: one definition for the
overview, the funnel, products and campaigns.

An order belongs to the period it was placed in (facts.orders.placed_at, in the shop's
days), whatever became of it later. It is revenue when it was paid (`paid_at` set: the
payment was captured) and not cancelled (no `cancelled_at`, status not "cancelled").
Gross revenue is the `total_minor` of those orders (goods, shipping and tax, after
discounts); net revenue subtracts what was refunded on them (`refunded_minor`), counted in
the period the order was placed, not the one the refund was made in, so a period's net
figure keeps falling as late refunds arrive. Amounts are in the shop's one currency.
"""

from __future__ import annotations

from datetime import timedelta

import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.scope import category_ids


def period_orders(engine: WarehouseEngine, period: Period) -> ir.Table:
    """Orders placed in the period, narrowed by its filters: country and channel are the
    order's own; device is the device of the visit that placed it (its order_placed
    event: orders without one, such as imports, drop out under a device filter); a
    category keeps the orders with a line in it or below it."""
    orders = engine.table("orders")
    orders = orders.filter(period.contains(orders.placed_at), is_order(orders))
    filters = period.filters
    if filters.country:
        orders = orders.filter(orders.country == filters.country)
    if filters.channel:
        orders = orders.filter(orders.channel == filters.channel)
    if filters.device:
        placed = _placed_events(engine, period)
        orders = orders.filter(orders.order_id.isin(placed.filter(placed.device == filters.device).order_id))
    if filters.category_id is not None:
        lines = engine.table("order_lines")
        in_category = lines.filter(lines.category_id.isin(category_ids(engine, filters.category_id)))
        orders = orders.filter(orders.order_id.isin(in_category.order_id))
    return orders


def is_order(orders: ir.Table) -> ir.BooleanValue:
    """Leaves out imported cancellation invoices (kind "cancellation"): they undo an earlier
    sale of the history, they are not orders of their own."""
    return orders.kind.fill_null("order") == "order"


def is_cancelled(orders: ir.Table) -> ir.BooleanValue:
    return orders.cancelled_at.notnull() | (orders.status.fill_null("") == "cancelled")


def is_revenue(orders: ir.Table) -> ir.BooleanValue:
    """Whether an order of facts.orders counts as revenue (see the module's docstring)."""
    return orders.paid_at.notnull() & ~is_cancelled(orders)


def revenue_orders(engine: WarehouseEngine, period: Period) -> ir.Table:
    orders = period_orders(engine, period)
    return orders.filter(is_revenue(orders))


def _placed_events(engine: WarehouseEngine, period: Period) -> ir.Table:
    # The event is written as the order is placed, a moment apart from placed_at: a day
    # either side of the period's UTC days keeps an order placed at midnight.
    events = engine.table("events")
    first_day, last_day = period.utc_days()
    return events.filter(
        events.day >= first_day - timedelta(days=1),
        events.day <= last_day + timedelta(days=1),
        events.kind == "order_placed",
    )
