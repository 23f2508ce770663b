"""How fast orders reach customers: time from placing to payment, shipping and delivery,
late shipments, and shipping charged, overall and by carrier, method, zone and warehouse.

Durations are whole seconds between the two times cut to the second (both engines agree
on that; they count sub-second differences differently). Percentiles are nearest-rank:
p50 is the smallest duration that at least half the orders did not exceed, always one of
the orders' own durations, chosen by integer arithmetic on row numbers, so both engines
give the same one.

Promises are the shipping method's `max_days`, in working days (Monday to Friday: the
checkout says "working days"; public holidays are not known, so they count as working).
There is no carrier cost in the shop yet, so only shipping charged is reported: cost
needs an import of the carriers' invoices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.order_scope import labelled, live_orders
from shopstack.analytics.metrics.period import Period

STAGES: tuple[str, ...] = ("paid", "shipped", "delivered")
BREAKDOWNS: tuple[str, ...] = ("carrier", "shipping_method", "zone", "warehouse")
_ALL = "overall"
_PERCENTILES = (50, 95)
_MONDAY = date(1970, 1, 5)
# Shipping and delivery come after the period: their shop dates use the time zone's
# offsets this far past its end (later than that, the last offset; an hour at most).
_AFTERMATH = timedelta(days=90)


@dataclass(frozen=True)
class LeadTime:
    orders: int  # orders that reached the stage
    p50_seconds: int | None
    p95_seconds: int | None


@dataclass(frozen=True)
class FulfilmentGroup:
    orders: int
    shipping_charged_minor: int
    paid: LeadTime
    shipped: LeadTime
    delivered: LeadTime
    promised: int  # orders whose shipping method promises a number of days
    late_shipments: int  # shipped more working days after placing than promised
    overdue_unshipped: int  # not shipped, and the promise has passed by the period's end
    late_deliveries: int  # delivered more working days after placing than promised

    @property
    def late_shipment_rate(self) -> float | None:
        late = self.late_shipments + self.overdue_unshipped
        return late / self.promised if self.promised else None


@dataclass(frozen=True)
class Fulfilment:
    overall: FulfilmentGroup
    by_carrier: dict[str, FulfilmentGroup]
    by_shipping_method: dict[str, FulfilmentGroup]
    by_zone: dict[str, FulfilmentGroup]
    by_warehouse: dict[str, FulfilmentGroup]


def fulfilment(engine: WarehouseEngine, period: Period, today: date | None = None) -> Fulfilment:
    """Orders placed in the period and not cancelled (order_scope.live_orders, with all its
    filters).
    `today` (the shop's date now) stops an unshipped order being called overdue on a day
    that has not come yet; without it, the period's last day is taken as today."""
    as_of = min(period.end, today) if today else period.end
    base = engine.kept(order_times(engine, period))

    groups = ibis.union(*[_group_totals(base, name, base[name], as_of) for name in (_ALL, *BREAKDOWNS)])
    durations = ibis.union(
        *[
            base.filter(base[stage].notnull()).select(
                breakdown=ibis.literal(name), key=base[name], stage=ibis.literal(stage), seconds=base[stage]
            )
            for name in (_ALL, *BREAKDOWNS)
            for stage in STAGES
        ]
    )
    percentiles = _nearest_ranks(durations)

    found: dict[tuple[str, str, str, int], int] = {
        (row["breakdown"], row["key"], row["stage"], int(row["percentile"])): int(row["seconds"])
        for row in engine.rows(percentiles)
    }
    result: dict[str, dict[str, FulfilmentGroup]] = {name: {} for name in (_ALL, *BREAKDOWNS)}
    for row in engine.rows(groups):
        breakdown, key = row["breakdown"], row["key"]
        times = {
            stage: LeadTime(
                orders=int(row[f"{stage}_orders"]),
                p50_seconds=found.get((breakdown, key, stage, 50)),
                p95_seconds=found.get((breakdown, key, stage, 95)),
            )
            for stage in STAGES
        }
        result[breakdown][key] = FulfilmentGroup(
            orders=int(row["orders"]),
            shipping_charged_minor=int(row["shipping"] or 0),
            paid=times["paid"],
            shipped=times["shipped"],
            delivered=times["delivered"],
            promised=int(row["promised"] or 0),
            late_shipments=int(row["late_shipments"] or 0),
            overdue_unshipped=int(row["overdue_unshipped"] or 0),
            late_deliveries=int(row["late_deliveries"] or 0),
        )
    return Fulfilment(
        overall=result[_ALL].get(_ALL, _nothing()),
        by_carrier=result["carrier"],
        by_shipping_method=result["shipping_method"],
        by_zone=result["zone"],
        by_warehouse=result["warehouse"],
    )


def order_times(engine: WarehouseEngine, period: Period) -> ir.Table:
    """One row per order: its breakdown keys, the seconds to each stage, and the working
    days it took to ship and to deliver against the promise."""
    orders = live_orders(engine, period)
    methods = engine.table("shipping_methods").select("shipping_method_id", "max_days")
    warehouses = engine.table("warehouses").select("warehouse_id", warehouse_name="name")
    joined = orders.left_join(methods, orders.shipping_method_id == methods.shipping_method_id).left_join(
        warehouses, orders.warehouse_id == warehouses.warehouse_id
    )
    later = Period(period.start, period.end + _AFTERMATH, tz=period.tz)
    placed_day = _working_day_number(period.local_date(joined.placed_at))
    warehouse = ibis.coalesce(joined.warehouse_name.nullif(""), joined.warehouse_id.cast("string"))
    return joined.select(
        order_id=joined.order_id,
        placed_at=joined.placed_at,
        overall=ibis.literal(_ALL),
        carrier=labelled(joined.carrier),
        shipping_method=labelled(joined.shipping_method),
        zone=labelled(joined.shipping_zone),
        warehouse=labelled(warehouse),
        shipping=joined.shipping_minor,
        max_days=joined.max_days,
        placed_day=placed_day,
        shipped_days=_working_day_number(later.local_date(joined.shipped_at)) - placed_day,
        delivered_days=_working_day_number(later.local_date(joined.delivered_at)) - placed_day,
        **{stage: _seconds_between(joined.placed_at, joined[f"{stage}_at"]) for stage in STAGES},
    )


def _group_totals(base: ir.Table, breakdown: str, key: ir.StringValue, as_of: date) -> ir.Table:
    promised = base.max_days.notnull()
    return base.group_by(breakdown=ibis.literal(breakdown), key=key).aggregate(
        orders=base.count(),
        shipping=base.shipping.sum().cast("int64"),
        **{f"{stage}_orders": base[stage].count() for stage in STAGES},
        promised=_count(promised),
        late_shipments=_count(promised & (base.shipped_days > base.max_days)),
        overdue_unshipped=_count(
            promised
            & base.shipped.isnull()
            & (ibis.literal(working_day_number_of(as_of)) - base.placed_day > base.max_days)
        ),
        late_deliveries=_count(promised & (base.delivered_days > base.max_days)),
    )


def _nearest_ranks(durations: ir.Table) -> ir.Table:
    """The p50 and p95 rows of each (breakdown, key, stage): the row at rank r of n (by
    duration) is the p-th percentile when (r - 1) * 100 < n * p <= r * 100."""
    window = {"group_by": [durations.breakdown, durations.key, durations.stage]}
    ranked = durations.mutate(
        nth=ibis.row_number().over(**window, order_by=durations.seconds) + 1,
        total=durations.seconds.count().over(**window),
    )
    picks = [
        ranked.filter(
            (ranked.nth - 1) * 100 < ranked.total * percentile, ranked.nth * 100 >= ranked.total * percentile
        ).select("breakdown", "key", "stage", "seconds", percentile=ibis.literal(percentile, type="int64"))
        for percentile in _PERCENTILES
    ]
    return ibis.union(*picks)


def _seconds_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.IntegerValue:
    return (end.truncate("s").epoch_seconds() - start.truncate("s").epoch_seconds()).cast("int64")


def _working_day_number(day: ir.DateValue) -> ir.IntegerValue:
    """Mondays to Fridays from a Monday in 1970 up to `day`: the difference of two is the
    working days after the first up to and including the second."""
    days = day.delta(ibis.literal(_MONDAY), unit="day").cast("int64")
    return (days // 7) * 5 + ibis.least(days % 7 + 1, 5)


def working_day_number_of(day: date) -> int:
    """_working_day_number, in Python, for a date the caller knows."""
    days = (day - _MONDAY).days
    return (days // 7) * 5 + min(days % 7 + 1, 5)


def _count(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition, 1, 0).sum().cast("int64")


def _nothing() -> FulfilmentGroup:
    empty = LeadTime(orders=0, p50_seconds=None, p95_seconds=None)
    return FulfilmentGroup(0, 0, empty, empty, empty, 0, 0, 0, 0)
