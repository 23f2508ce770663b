"""From a number to the people and orders behind it: the customers of an RFM segment and the
orders that shipped late or are overdue. Each list is the same rule as the number it opens
(rfm.py, fulfilment.py), so its length is that number (up to the list's limit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import ibis

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.fulfilment import order_times, working_day_number_of
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.rfm import SEGMENTS, scored_customers, segment_of

MAX_LIMIT = 500


@dataclass(frozen=True)
class SegmentCustomer:
    customer_id: int
    orders: int
    revenue_minor: int
    last_order_at: datetime


@dataclass(frozen=True)
class SegmentCustomers:
    segment: str
    customers: tuple[SegmentCustomer, ...]  # the highest revenue first, then by id
    total: int  # customers in the segment, all of them


def segment_customers(
    engine: WarehouseEngine, period: Period, segment: str, *, limit: int = 50
) -> SegmentCustomers:
    """The customers RFM puts in `segment` as of the period's end (filters as rfm_segments)."""
    if segment not in SEGMENTS:
        raise ValueError(f"segment: one of {', '.join(SEGMENTS)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: from 1 to {MAX_LIMIT}.")
    # The 250 score cells that fall in the segment, by the one rule of segment_of.
    keys = [
        r * 100 + f * 10 + m + (1000 if one_order else 0)
        for r in range(1, 6)
        for f in range(1, 6)
        for m in range(1, 6)
        for one_order in (False, True)
        if segment_of(r, f, m, one_order=one_order) == segment
    ]
    scored = scored_customers(engine, period)
    cell = scored.r * 100 + scored.f * 10 + scored.m + ibis.ifelse(scored.orders == 1, 1000, 0)
    members = scored.filter(cell.isin(keys))
    numbered = members.mutate(
        position=ibis.row_number().over(order_by=[ibis.desc(members.revenue), members.customer_id])
    )
    page = numbered.filter(numbered.position < limit).order_by(numbered.position)
    rows = engine.rows(page.select("customer_id", "orders", "revenue", "last_order_at"))
    return SegmentCustomers(
        segment=segment,
        customers=tuple(
            SegmentCustomer(
                customer_id=int(row["customer_id"]),
                orders=int(row["orders"]),
                revenue_minor=int(row["revenue"] or 0),
                last_order_at=row["last_order_at"],
            )
            for row in rows
        ),
        total=int(engine.scalar(members.count()) or 0),
    )


@dataclass(frozen=True)
class LateOrder:
    order_id: int
    placed_at: datetime
    carrier: str
    shipping_method: str
    promised_days: int  # working days the method promises
    shipped_days: int | None  # working days it took to ship; None: not shipped (overdue)


@dataclass(frozen=True)
class LateOrders:
    orders: tuple[LateOrder, ...]  # the oldest first
    total: int


def late_orders(
    engine: WarehouseEngine, period: Period, *, today: date | None = None, limit: int = 50
) -> LateOrders:
    """The orders fulfilment counts as late shipments or overdue unshipped (same rule)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: from 1 to {MAX_LIMIT}.")
    as_of = min(period.end, today) if today else period.end
    base = order_times(engine, period)
    promised = base.max_days.notnull()
    late = promised & (base.shipped_days > base.max_days)
    overdue = (
        promised
        & base.shipped.isnull()
        & (ibis.literal(working_day_number_of(as_of)) - base.placed_day > base.max_days)
    )
    found = base.filter(late | overdue)
    numbered = found.mutate(position=ibis.row_number().over(order_by=[found.placed_at, found.order_id]))
    page = numbered.filter(numbered.position < limit).order_by(numbered.position)
    rows = engine.rows(
        page.select(
            "order_id",
            "placed_at",
            "carrier",
            "shipping_method",
            "max_days",
            shipped_days=ibis.ifelse(
                page.shipped.isnull(), ibis.null("int64"), page.shipped_days.cast("int64")
            ),
        )
    )
    return LateOrders(
        orders=tuple(
            LateOrder(
                order_id=int(row["order_id"]),
                placed_at=row["placed_at"],
                carrier=row["carrier"],
                shipping_method=row["shipping_method"],
                promised_days=int(row["max_days"]),
                shipped_days=None if row["shipped_days"] is None else int(row["shipped_days"]),
            )
            for row in rows
        ),
        total=int(engine.scalar(found.count()) or 0),
    )
