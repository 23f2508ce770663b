"""How the shop did: traffic (traffic.py) with conversion, orders, revenue, returning
customers and visitors, and a day-by-day series for the chart.

Filters: all of them, as scope.visitor_events (visits) and revenue.period_orders (orders)
define them. The look-back of returning customers and visitors ignores the filters (an
earlier order is an earlier order, from any country or device)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.history import people_events_between
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.revenue import is_revenue, period_orders
from shopstack.analytics.metrics.scope import visitor_events
from shopstack.analytics.metrics.traffic import Traffic, traffic

# A visitor is returning when seen within this many days before the period (a bound, so the
# question reads a year of events at most; visitors counted without consent get a new id
# each day and so always look new).
RETURNING_VISITOR_DAYS = 365


@dataclass(frozen=True)
class Day:
    day: date  # the shop's calendar date
    sessions: int
    orders: int
    gross_minor: int
    refunded_minor: int

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunded_minor


@dataclass(frozen=True)
class Overview:
    traffic: Traffic
    converted_sessions: int  # sessions (with a page view) that placed an order
    returning_visitors: int
    orders: int  # placed in the period, whatever became of them
    revenue_orders: int  # of those, paid and not cancelled
    gross_minor: int
    refunded_minor: int
    customers: int  # distinct customers with an order in the period
    returning_customers: int  # of those, customers who had ordered before the period
    days: tuple[Day, ...]

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunded_minor

    @property
    def conversion_rate(self) -> float | None:
        return self.converted_sessions / self.traffic.sessions if self.traffic.sessions else None

    @property
    def average_order_minor(self) -> float | None:
        return self.gross_minor / self.revenue_orders if self.revenue_orders else None

    @property
    def new_customers(self) -> int:
        return self.customers - self.returning_customers


def overview(engine: WarehouseEngine, period: Period) -> Overview:
    events = visitor_events(engine, period)
    pages = events.filter(events.kind == "page_view")
    orders = period_orders(engine, period)
    values = _totals(engine, period, events, pages, orders)
    return Overview(
        traffic=traffic(engine, period),
        converted_sessions=values.get("converted_sessions", 0),
        returning_visitors=values.get("returning_visitors", 0),
        orders=values.get("orders", 0),
        revenue_orders=values.get("revenue_orders", 0),
        gross_minor=values.get("gross", 0),
        refunded_minor=values.get("refunded", 0),
        customers=values.get("customers", 0),
        returning_customers=values.get("returning_customers", 0),
        days=_days(engine, period, pages, orders),
    )


def _totals(
    engine: WarehouseEngine, period: Period, events: ir.Table, pages: ir.Table, orders: ir.Table
) -> dict[str, int]:
    first, _after = period.utc_bounds()
    placed = events.filter(events.kind == "order_placed", events.session_id.isin(pages.session_id))
    revenue = orders.filter(is_revenue(orders))
    customers = orders.filter(orders.customer_id.notnull())
    earlier = engine.table("orders")
    earlier = earlier.filter(earlier.placed_at < ibis.literal(first), earlier.customer_id.notnull())
    returning = customers.filter(customers.customer_id.isin(earlier.customer_id))
    before = people_events_between(engine, first - timedelta(days=RETURNING_VISITOR_DAYS), first)
    seen = pages.filter(pages.visitor_id != "", pages.visitor_id.isin(before.visitor_id))

    def named(name: str, value: ir.Scalar, table: ir.Table) -> ir.Table:
        return table.aggregate(name=ibis.literal(name), value=value.cast("int64"))

    rows = engine.rows(
        ibis.union(
            named("converted_sessions", placed.session_id.nunique(), placed),
            named("returning_visitors", seen.visitor_id.nunique(), seen),
            named("orders", orders.count(), orders),
            named("revenue_orders", revenue.count(), revenue),
            named("gross", revenue.total_minor.sum(), revenue),
            named("refunded", revenue.refunded_minor.sum(), revenue),
            named("customers", customers.customer_id.nunique(), customers),
            named("returning_customers", returning.customer_id.nunique(), returning),
        )
    )
    return {row["name"]: int(row["value"] or 0) for row in rows}


def _days(engine: WarehouseEngine, period: Period, pages: ir.Table, orders: ir.Table) -> tuple[Day, ...]:
    """Every day of the period, in order, zeros included. A session counts on the day of
    its first page in the period; an order on the day it was placed."""
    starts = pages.group_by("session_id").aggregate(started_at=pages.occurred_at.min())
    session_days = starts.group_by(day=period.local_date(starts.started_at)).aggregate(
        sessions=starts.count().cast("int64"),
        orders=ibis.literal(0, "int64"),
        gross=ibis.literal(0, "int64"),
        refunded=ibis.literal(0, "int64"),
    )
    revenue = is_revenue(orders)
    order_days = orders.group_by(day=period.local_date(orders.placed_at)).aggregate(
        sessions=ibis.literal(0, "int64"),
        orders=orders.count().cast("int64"),
        gross=ibis.ifelse(revenue, orders.total_minor, 0).sum().cast("int64"),
        refunded=ibis.ifelse(revenue, orders.refunded_minor, 0).sum().cast("int64"),
    )
    found: dict[date, dict[str, int]] = {}
    for row in engine.rows(ibis.union(session_days, order_days)):
        totals = found.setdefault(row["day"], {"sessions": 0, "orders": 0, "gross": 0, "refunded": 0})
        for name in totals:
            totals[name] += int(row[name] or 0)
    empty = {"sessions": 0, "orders": 0, "gross": 0, "refunded": 0}
    days = []
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        totals = found.get(day, empty)
        days.append(
            Day(
                day=day,
                sessions=totals["sessions"],
                orders=totals["orders"],
                gross_minor=totals["gross"],
                refunded_minor=totals["refunded"],
            )
        )
    return tuple(days)
