"""The orders the customer, fulfilment and inventory questions count, and the order history
of customers for questions about them over time: both by the one rule of metrics/revenue.py
(an order placed, paid and not cancelled), so every dashboard counts the same orders.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.revenue import (
    is_cancelled,
    is_order,
    is_revenue,
    period_orders,
    revenue_orders,
)

# The label of a breakdown's rows whose key (country, carrier, age band...) is not known.
UNKNOWN = "unknown"


def labelled(value: ir.StringValue) -> ir.StringValue:
    """`value`, or UNKNOWN when it is null or empty (both engines read "" and null alike)."""
    return ibis.ifelse(value.isnull() | (value == ""), ibis.literal(UNKNOWN), value)


def placed_orders(engine: WarehouseEngine, period: Period) -> ir.Table:
    """The period's orders that are revenue, with its filters (metrics/revenue.py has the
    one rule: placed in the period, paid and not cancelled)."""
    return revenue_orders(engine, period)


def live_orders(engine: WarehouseEngine, period: Period) -> ir.Table:
    """The period's orders that were not cancelled, paid or not yet (fulfilment follows an
    order from the moment it is placed), with its filters."""
    orders = period_orders(engine, period)
    return orders.filter(~is_cancelled(orders))


def customer_orders(engine: WarehouseEngine, period: Period) -> ir.Table:
    """Every order of a known customer placed before the period ends, not cancelled: a
    customer's history. Only the country filter applies, to the customer's own country
    (customers dim): channel, device and category describe a visit or an order, not a
    customer."""
    _first, after = period.utc_bounds()
    orders = engine.table("orders")
    orders = orders.filter(
        orders.placed_at < ibis.literal(after),
        is_order(orders),
        is_revenue(orders),
        orders.customer_id.notnull(),
    )
    if period.filters.country:
        customers = engine.table("customers")
        in_country = customers.filter(customers.country == period.filters.country)
        orders = orders.filter(orders.customer_id.isin(in_country.customer_id))
    return orders
