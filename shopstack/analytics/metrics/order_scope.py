"""The orders a question counts: placed in the period, not cancelled, narrowed by its
filters; and the order history of customers, for questions about them over time.

Order facts are the truth for money. A cancelled order is left out of every count and
sum (the money never stayed with the shop); revenue is an order's total as charged (goods,
shipping and tax after discounts), before later refunds.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.scope import category_ids

# The label of a breakdown's rows whose key (country, carrier, age band...) is not known.
UNKNOWN = "unknown"


def labelled(value: ir.StringValue) -> ir.StringValue:
    """`value`, or UNKNOWN when it is null or empty (both engines read "" and null alike)."""
    return ibis.ifelse(value.isnull() | (value == ""), ibis.literal(UNKNOWN), value)


def not_cancelled(orders: ir.Table) -> ir.BooleanValue:
    return orders.status.fill_null("") != "cancelled"


def placed_orders(engine: WarehouseEngine, period: Period) -> ir.Table:
    """Orders placed in the period, not cancelled, with the period's filters: country (the
    order's: its shipping address), channel, device (the device of the session that placed
    it, from its order_placed event) and category (orders with a line in it or below)."""
    orders = engine.table("orders")
    orders = orders.filter(period.contains(orders.placed_at), not_cancelled(orders))
    filters = period.filters
    if filters.country:
        orders = orders.filter(orders.country == filters.country)
    if filters.channel:
        orders = orders.filter(orders.channel == filters.channel)
    if filters.device:
        events = engine.table("events")
        first_day, last_day = period.utc_days()
        placed_on_device = events.filter(
            events.day >= first_day,
            events.day <= last_day,
            events.kind == "order_placed",
            events.device == filters.device,
        )
        orders = orders.filter(orders.order_id.isin(placed_on_device.order_id))
    if filters.category_id is not None:
        lines = engine.table("order_lines")
        in_category = lines.filter(lines.category_id.isin(category_ids(engine, filters.category_id)))
        orders = orders.filter(orders.order_id.isin(in_category.order_id))
    return orders


def customer_orders(engine: WarehouseEngine, period: Period) -> ir.Table:
    """Every order of a known customer placed before the period ends, not cancelled: a
    customer's history. Only the country filter applies, to the customer's own country
    (customers dim): channel, device and category describe a visit or an order, not a
    customer."""
    _first, after = period.utc_bounds()
    orders = engine.table("orders")
    orders = orders.filter(
        orders.placed_at < ibis.literal(after), not_cancelled(orders), orders.customer_id.notnull()
    )
    if period.filters.country:
        customers = engine.table("customers")
        in_country = customers.filter(customers.country == period.filters.country)
        orders = orders.filter(orders.customer_id.isin(in_country.customer_id))
    return orders
