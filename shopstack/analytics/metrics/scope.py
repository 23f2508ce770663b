"""The rows a question looks at: a period's events and orders, narrowed by its filters.

Every metric starts from these, so a filter means the same on every dashboard."""

from __future__ import annotations

import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.period import Period


def visitor_events(engine: WarehouseEngine, period: Period) -> ir.Table:
    """Events of people (not bots) in the period, with the period's filters applied."""
    events = engine.table("events")
    first_day, last_day = period.utc_days()
    events = events.filter(
        events.day >= first_day, events.day <= last_day, period.contains(events.occurred_at), ~events.is_bot
    )
    filters = period.filters
    if filters.country:
        events = events.filter(events.country == filters.country)
    if filters.channel:
        events = events.filter(events.channel == filters.channel)
    if filters.device:
        events = events.filter(events.device == filters.device)
    if filters.category_id is not None:
        # Sessions that looked at the category (a listing of it, or a product in it or below).
        in_category = category_products(engine, filters.category_id)
        touched = (
            events.filter(
                (events.category_id.isin(category_ids(engine, filters.category_id)))
                | events.product_id.isin(in_category.product_id)
            )
            .select("session_id")
            .distinct()
        )
        events = events.filter(events.session_id.isin(touched.session_id))
    return events


def category_ids(engine: WarehouseEngine, category_id: int) -> ir.Column:
    categories = engine.table("categories")
    return categories.filter(categories.path.contains(f"/{int(category_id)}/")).category_id


def category_products(engine: WarehouseEngine, category_id: int) -> ir.Table:
    products = engine.table("products")
    return products.filter(products.category_id.isin(category_ids(engine, category_id))).select("product_id")
