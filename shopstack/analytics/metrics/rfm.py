"""Which customers matter and which are slipping away: RFM segments.

Every customer with a counted order up to the period's end (order_scope.customer_orders)
is scored 1-5 on recency (time of the last order), frequency (orders) and monetary value
(revenue, minor units) by quintiles: the engine sorts customers by the measure, lowest
first, ties broken by customer id, and SQL's NTILE(5) cuts the list into five groups
whose sizes differ by at most one (the first groups take the extra customers); the group
is the score, so 5 is the most recent, most frequent, highest spending fifth. Both engines
implement NTILE the same way over the same total order, so the scores are identical; the
customer count is unbounded, so scoring stays in the engine and only the (at most 250)
score combinations come back.

Because ties are broken by id, customers with equal measures can land in neighbouring
scores (when half the customers ordered once, some one-order customers score F 3). So a
customer with one order is segmented by recency alone, never as loyal or at risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.order_scope import customer_orders
from shopstack.analytics.metrics.period import Period

# In the order a dashboard lists them, best first.
SEGMENTS: tuple[str, ...] = (
    "Champions",
    "Loyal",
    "Potential loyalists",
    "New",
    "Needs attention",
    "At risk",
    "Hibernating",
)


def segment_of(recency: int, frequency: int, monetary: int, *, one_order: bool) -> str:
    """The named segment of a customer's scores (each 1-5); the first rule that fits."""
    if one_order:
        if recency >= 4:
            return "New"
        return "Needs attention" if recency == 3 else "Hibernating"
    if recency >= 4 and frequency >= 4 and monetary >= 4:
        return "Champions"
    if recency >= 3 and frequency >= 3:
        return "Loyal"
    if recency >= 4:
        return "Potential loyalists"
    if recency <= 2 and (frequency >= 3 or monetary >= 4):
        return "At risk"
    if recency <= 2:
        return "Hibernating"
    return "Needs attention"


@dataclass(frozen=True)
class Segment:
    name: str
    customers: int
    orders: int
    revenue_minor: int

    @property
    def average_revenue_minor(self) -> float | None:
        return self.revenue_minor / self.customers if self.customers else None


@dataclass(frozen=True)
class Rfm:
    segments: tuple[Segment, ...]  # every segment of SEGMENTS, in that order

    @property
    def customers(self) -> int:
        return sum(segment.customers for segment in self.segments)

    def share(self, name: str) -> float | None:
        found = next(segment for segment in self.segments if segment.name == name)
        return found.customers / self.customers if self.customers else None


def scored_customers(engine: WarehouseEngine, period: Period) -> ir.Table:
    """One row per customer with a counted order up to the period's end: last_order_at,
    orders, revenue, and the scores r, f, m (1-5)."""
    orders = customer_orders(engine, period)
    per_customer = orders.group_by("customer_id").aggregate(
        last_order_at=orders.placed_at.max(),
        orders=orders.count(),
        revenue=orders.total_minor.sum().cast("int64"),
    )
    scored = per_customer.mutate(
        r=ibis.ntile(5).over(order_by=[per_customer.last_order_at, per_customer.customer_id]) + 1,
        f=ibis.ntile(5).over(order_by=[per_customer.orders, per_customer.customer_id]) + 1,
        m=ibis.ntile(5).over(order_by=[per_customer.revenue, per_customer.customer_id]) + 1,
    )
    return scored


def rfm_segments(engine: WarehouseEngine, period: Period) -> Rfm:
    """Customers, orders and revenue of each segment as of the period's end. Filters: as
    customer_orders (country only)."""
    scored = scored_customers(engine, period)
    cells = scored.group_by(scored.r, scored.f, scored.m, one_order=scored.orders == 1).aggregate(
        customers=scored.count(),
        orders=scored.orders.sum().cast("int64"),
        revenue=scored.revenue.sum().cast("int64"),
    )
    totals = {name: [0, 0, 0] for name in SEGMENTS}
    for cell in engine.rows(cells):
        name = segment_of(int(cell["r"]), int(cell["f"]), int(cell["m"]), one_order=bool(cell["one_order"]))
        totals[name][0] += int(cell["customers"])
        totals[name][1] += int(cell["orders"] or 0)
        totals[name][2] += int(cell["revenue"] or 0)
    return Rfm(segments=tuple(Segment(name, *totals[name]) for name in SEGMENTS))
