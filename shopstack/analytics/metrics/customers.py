"""Who buys: sales by country, new against returning customers, and age bands.

Every breakdown here honours all of the period's filters (order_scope.placed_orders and
scope.visitor_events say what each filter means for orders and for visits).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.order_scope import labelled, placed_orders
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.revenue import is_order, is_revenue
from shopstack.analytics.metrics.scope import visitor_events

_ZERO = ibis.literal(0, type="int64")


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class CountrySales:
    country: str  # ISO alpha-2, or "unknown"
    sessions: int
    orders: int
    revenue_minor: int

    @property
    def average_order_minor(self) -> float | None:
        return _ratio(self.revenue_minor, self.orders)

    @property
    def conversion_rate(self) -> float | None:
        """Orders per session; above 1 when visits of unknown country led to known orders."""
        return _ratio(self.orders, self.sessions)


def sales_by_country(engine: WarehouseEngine, period: Period) -> list[CountrySales]:
    """Sessions (as on the traffic dashboard: sessions with a page view; a session's
    country is the one its pages carry, a known one winning over none) and orders,
    revenue and average order value (the order's shipping country) per country, most
    revenue first."""
    events = visitor_events(engine, period)
    pages = events.filter(events.kind == "page_view")
    per_session = pages.group_by("session_id").aggregate(country=pages.country.max())
    sessions = per_session.group_by(country=labelled(per_session.country)).aggregate(
        sessions=per_session.count(), orders=_ZERO, revenue=_ZERO
    )
    orders = placed_orders(engine, period)
    sales = orders.group_by(country=labelled(orders.country)).aggregate(
        sessions=_ZERO, orders=orders.count(), revenue=orders.total_minor.sum().cast("int64")
    )
    both = ibis.union(sessions, sales)
    totals = both.group_by("country").aggregate(
        sessions=both.sessions.sum().cast("int64"),
        orders=both.orders.sum().cast("int64"),
        revenue=both.revenue.sum().cast("int64"),
    )
    rows = [
        CountrySales(
            country=row["country"],
            sessions=int(row["sessions"] or 0),
            orders=int(row["orders"] or 0),
            revenue_minor=int(row["revenue"] or 0),
        )
        for row in engine.rows(totals)
    ]
    return sorted(rows, key=lambda row: (-row.revenue_minor, -row.sessions, row.country))


@dataclass(frozen=True)
class CustomerGroup:
    customers: int
    orders: int
    revenue_minor: int

    @property
    def average_order_minor(self) -> float | None:
        return _ratio(self.revenue_minor, self.orders)


@dataclass(frozen=True)
class NewAndReturning:
    new: CustomerGroup  # first (not cancelled) order ever placed in the period
    returning: CustomerGroup  # had ordered before the period
    guests: CustomerGroup  # orders without an account (customers is 0: a guest is not known again)

    @property
    def new_customer_share(self) -> float | None:
        return _ratio(self.new.customers, self.new.customers + self.returning.customers)


def new_and_returning(engine: WarehouseEngine, period: Period) -> NewAndReturning:
    """Orders and revenue of the period from customers new in it and from returning ones.
    A customer is new when none of their orders before the period counts (a cancelled
    one does not); newness is the customer's, so the filters narrow the period's orders
    but not the history that decides it."""
    first, _after = period.utc_bounds()
    orders = placed_orders(engine, period)
    history = engine.table("orders")
    before = history.filter(history.placed_at < ibis.literal(first), is_order(history), is_revenue(history))
    earlier = before.group_by("customer_id").aggregate(earlier_orders=before.count())
    joined = orders.left_join(earlier, orders.customer_id == earlier.customer_id)
    kind = ibis.cases(
        (joined.customer_id.isnull(), "guests"),
        (joined.earlier_orders.notnull(), "returning"),
        else_="new",
    )
    groups = joined.group_by(group=kind).aggregate(
        customers=joined.customer_id.nunique(),
        orders=joined.count(),
        revenue=joined.total_minor.sum().cast("int64"),
    )
    found = {
        row["group"]: CustomerGroup(
            int(row["customers"] or 0), int(row["orders"] or 0), int(row["revenue"] or 0)
        )
        for row in engine.rows(groups)
    }
    nobody = CustomerGroup(0, 0, 0)
    return NewAndReturning(
        new=found.get("new", nobody),
        returning=found.get("returning", nobody),
        guests=found.get("guests", nobody),
    )


@dataclass(frozen=True)
class AgeBand:
    age_band: str  # from the customer's profile, given with consent; else "unknown"
    customers: int  # who ordered in the period
    orders: int
    revenue_minor: int
    signed_in_sessions: int  # sessions in which a customer of this band was signed in
    converted_sessions: int  # ... that placed an order

    @property
    def average_order_minor(self) -> float | None:
        return _ratio(self.revenue_minor, self.orders)

    @property
    def conversion_rate(self) -> float | None:
        return _ratio(self.converted_sessions, self.signed_in_sessions)


def age_bands(engine: WarehouseEngine, period: Period) -> list[AgeBand]:
    """Orders, revenue and conversion by the customers' age band (customers dim). Guests'
    orders are "unknown". Conversion is computable only for signed-in sessions: the share
    of sessions with a signed-in customer of the band that placed an order; anonymous
    sessions have no band and are left out of it."""
    customers = engine.table("customers")
    bands = customers.select(customers.customer_id, band=labelled(customers.age_band))

    orders = placed_orders(engine, period)
    ordered = orders.left_join(bands, orders.customer_id == bands.customer_id)
    sales = ordered.group_by(band=labelled(ordered.band)).aggregate(
        customers=ordered.customer_id.nunique(),
        orders=ordered.count(),
        revenue=ordered.total_minor.sum().cast("int64"),
        sessions=_ZERO,
        converted=_ZERO,
    )

    events = visitor_events(engine, period)
    per_session = events.group_by("session_id").aggregate(
        customer_id=events.customer_id.max(),
        converted=ibis.ifelse(events.kind == "order_placed", 1, 0).max(),
    )
    signed_in = per_session.filter(per_session.customer_id.notnull())
    visits = signed_in.left_join(bands, signed_in.customer_id == bands.customer_id)
    conversion = visits.group_by(band=labelled(visits.band)).aggregate(
        customers=_ZERO,
        orders=_ZERO,
        revenue=_ZERO,
        sessions=visits.count(),
        converted=visits.converted.sum().cast("int64"),
    )

    both = ibis.union(sales, conversion)
    totals = both.group_by("band").aggregate(
        **{
            name: both[name].sum().cast("int64")
            for name in ("customers", "orders", "revenue", "sessions", "converted")
        }
    )
    rows = [
        AgeBand(
            age_band=row["band"],
            customers=int(row["customers"] or 0),
            orders=int(row["orders"] or 0),
            revenue_minor=int(row["revenue"] or 0),
            signed_in_sessions=int(row["sessions"] or 0),
            converted_sessions=int(row["converted"] or 0),
        )
        for row in engine.rows(totals)
    ]
    return sorted(rows, key=lambda row: row.age_band)
