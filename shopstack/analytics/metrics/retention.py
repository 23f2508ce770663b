"""Do customers come back: cohorts by the month of their first order, and the share of
each that ordered again one, two, ... twelve months later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.order_scope import customer_orders
from shopstack.analytics.metrics.period import Period

MONTHS_AFTER = 12
_BEFORE_WINDOW = -1


@dataclass(frozen=True)
class Cohort:
    month: date  # the first day of the shop's calendar month of the first orders
    customers: int
    # Customers of the cohort who ordered in month +1 .. +12; None for a month not begun
    # by the period's end.
    returned: tuple[int | None, ...]

    @property
    def retention(self) -> tuple[float | None, ...]:
        return tuple(
            None if count is None or not self.customers else count / self.customers for count in self.returned
        )


def cohort_retention(
    engine: WarehouseEngine, period: Period, cohorts: int = MONTHS_AFTER + 1
) -> list[Cohort]:
    """The `cohorts` cohorts ending with the month of the period's end, oldest first.

    A customer's cohort is the month (in the shop's time zone) of their first order that
    counts (order_scope.customer_orders: not cancelled, placed before the period ends,
    over all time: a customer who first ordered before the oldest cohort shown is in
    none). Month +k counts the cohort's customers with an order in that calendar month;
    the period's own end month counts orders up to the period's end. Filters: as
    customer_orders (country only).
    """
    end_month = _month_number(period.end)
    oldest = end_month - (cohorts - 1)
    window = Period(_month_start(oldest), period.end, tz=period.tz)
    window_first, _after = window.utc_bounds()

    orders = customer_orders(engine, period)
    local = window.local_date(orders.placed_at)
    month = ibis.ifelse(
        orders.placed_at >= ibis.literal(window_first),
        (local.year() * 12 + local.month() - 1).cast("int64"),
        ibis.literal(_BEFORE_WINDOW, type="int64"),
    )
    active = orders.select(orders.customer_id, month=month).distinct()
    firsts = active.group_by("customer_id").aggregate(cohort=active.month.min())
    joined = active.join(firsts, "customer_id")
    returns = joined.select("cohort", since=joined.month - joined.cohort).filter(
        ibis._.cohort >= oldest, ibis._.since <= MONTHS_AFTER
    )
    counts = returns.group_by("cohort", "since").aggregate(customers=returns.count())
    found = {(int(row["cohort"]), int(row["since"])): int(row["customers"]) for row in engine.rows(counts)}

    result = []
    for cohort in range(oldest, end_month + 1):
        size = found.get((cohort, 0), 0)
        returned = tuple(
            found.get((cohort, since), 0) if cohort + since <= end_month else None
            for since in range(1, MONTHS_AFTER + 1)
        )
        result.append(Cohort(month=_month_start(cohort), customers=size, returned=returned))
    return result


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)
