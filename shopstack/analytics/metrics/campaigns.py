"""Where visits and orders come from: campaigns (utm tags), search engines, social
networks, other sites, or nowhere (direct), and what the advertising cost.

Two views:

- By session: each session (a page view in the period) is credited to its first page's
  campaign (utm_source, utm_medium, utm_campaign), or without one to its referrer
  (referrers.py). Its orders are the order_placed events in it; revenue is theirs (the
  revenue rule of revenue.py), and conversion is sessions with an order per session.
- Attributed (last non-direct click): every order placed in the period (revenue.
  period_orders) is credited to the latest session of its visitor, started up to
  ANALYTICS_ATTRIBUTION_DAYS before the order, that came from a campaign or an outside
  site; an order with none, or placed without a visit (imports, the API), is direct.
  Ad spend (facts.ad_spend, the days of the period) joins these by (utm_source,
  utm_medium, utm_campaign): cost per order and return on ad spend (gross revenue per
  cost) are per campaign.

Filters: all of them narrow the sessions and orders; the sessions an order is credited to
are looked for whatever their device or country, and ad spend is never filtered (a
campaign's cost is not split by country or device).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
from django.conf import settings

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.history import people_events_between
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.referrers import (
    Origin,
    is_own_host,
    origin_of_host,
    own_hosts,
    referrer_host,
)
from shopstack.analytics.metrics.revenue import is_revenue, period_orders
from shopstack.analytics.metrics.scope import visitor_events

KEY = ("utm_source", "utm_medium", "utm_campaign", "host")


@dataclass(frozen=True, order=True)
class Source:
    origin: str  # an Origin
    source: str  # utm_source, or the referrer's host ("" when direct)
    medium: str = ""
    campaign: str = ""


@dataclass(frozen=True)
class SessionSource:
    source: Source
    sessions: int
    converted_sessions: int
    orders: int
    gross_minor: int
    refunded_minor: int

    @property
    def conversion_rate(self) -> float | None:
        return self.converted_sessions / self.sessions if self.sessions else None


@dataclass(frozen=True)
class Attributed:
    source: Source
    orders: int
    gross_minor: int
    refunded_minor: int
    cost_minor: int  # ad spend of the campaign in the period (0 when none is recorded)

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunded_minor

    @property
    def cost_per_order_minor(self) -> float | None:
        return self.cost_minor / self.orders if self.orders and self.cost_minor else None

    @property
    def return_on_ad_spend(self) -> float | None:
        return self.gross_minor / self.cost_minor if self.cost_minor else None


@dataclass(frozen=True)
class Campaigns:
    by_session: tuple[SessionSource, ...]  # most sessions first
    attributed: tuple[Attributed, ...]  # most revenue first, then most orders, then most cost

    def session_source(self, source: Source) -> SessionSource | None:
        return next((row for row in self.by_session if row.source == source), None)

    def attributed_to(self, source: Source) -> Attributed | None:
        return next((row for row in self.attributed if row.source == source), None)


def campaigns(
    engine: WarehouseEngine,
    period: Period,
    *,
    attribution_days: int | None = None,
    own: tuple[str, ...] | None = None,
) -> Campaigns:
    days = settings.ANALYTICS_ATTRIBUTION_DAYS if attribution_days is None else attribution_days
    hosts = own_hosts() if own is None else own
    return Campaigns(
        by_session=_by_session(engine, period, hosts),
        attributed=_attributed(engine, period, timedelta(days=days), hosts),
    )


def _first_pages(pages: ir.Table, own: tuple[str, ...]) -> ir.Table:
    """Each session's first page: who, when, and where from (KEY). A tagged page keeps its
    tags and no host; an untagged one its outside referrer's host, "" when direct."""
    ranked = pages.mutate(
        rank=ibis.row_number().over(group_by=pages.session_id, order_by=[pages.occurred_at, pages.event_id])
    )
    first = ranked.filter(ranked.rank == 0)
    source, medium, campaign = (first[name].fill_null("") for name in KEY[:3])
    tagged = (source != "") | (medium != "") | (campaign != "")
    host = referrer_host(first.referrer)
    return first.select(
        session_id=first.session_id,
        visitor_id=first.visitor_id,
        started_at=first.occurred_at,
        utm_source=source,
        utm_medium=medium,
        utm_campaign=campaign,
        host=ibis.ifelse(tagged | is_own_host(host, own), "", host),
    )


def _order_values(engine: WarehouseEngine) -> ir.Table:
    orders = engine.table("orders")
    revenue = is_revenue(orders)
    return orders.select(
        value_order_id=orders.order_id,
        gross=ibis.ifelse(revenue, orders.total_minor.fill_null(0), 0).cast("int64"),
        refunded=ibis.ifelse(revenue, orders.refunded_minor.fill_null(0), 0).cast("int64"),
    )


def _by_session(engine: WarehouseEngine, period: Period, own: tuple[str, ...]) -> tuple[SessionSource, ...]:
    events = visitor_events(engine, period)
    sessions = _first_pages(events.filter(events.kind == "page_view"), own)
    placed = events.filter(events.kind == "order_placed", events.order_id.notnull())
    placed = placed.select("session_id", "order_id").distinct()
    values = _order_values(engine)
    valued = placed.left_join(values, placed.order_id == values.value_order_id)
    per_session = valued.group_by(order_session=valued.session_id).aggregate(
        orders=valued.order_id.nunique().cast("int64"),
        gross=valued.gross.fill_null(0).sum().cast("int64"),
        refunded=valued.refunded.fill_null(0).sum().cast("int64"),
    )
    joined = sessions.left_join(per_session, sessions.session_id == per_session.order_session)
    orders = joined.orders.fill_null(0)
    rows = engine.rows(
        joined.group_by(list(KEY)).aggregate(
            sessions=joined.count().cast("int64"),
            converted=ibis.ifelse(orders > 0, 1, 0).sum().cast("int64"),
            orders=orders.sum().cast("int64"),
            gross=joined.gross.fill_null(0).sum().cast("int64"),
            refunded=joined.refunded.fill_null(0).sum().cast("int64"),
        )
    )
    totals = _merged(rows, ("sessions", "converted", "orders", "gross", "refunded"))
    found = [
        SessionSource(
            source=source,
            sessions=values["sessions"],
            converted_sessions=values["converted"],
            orders=values["orders"],
            gross_minor=values["gross"],
            refunded_minor=values["refunded"],
        )
        for source, values in totals.items()
    ]
    return tuple(sorted(found, key=lambda row: (-row.sessions, row.source)))


def _attributed(
    engine: WarehouseEngine, period: Period, window: timedelta, own: tuple[str, ...]
) -> tuple[Attributed, ...]:
    orders = period_orders(engine, period)
    revenue = is_revenue(orders)
    orders = orders.select(
        order_id=orders.order_id,
        placed_at=orders.placed_at,
        gross=ibis.ifelse(revenue, orders.total_minor.fill_null(0), 0).cast("int64"),
        refunded=ibis.ifelse(revenue, orders.refunded_minor.fill_null(0), 0).cast("int64"),
    )
    buyers = _buyers(engine, period)
    orders = orders.left_join(buyers, orders.order_id == buyers.buyer_order_id).select(
        "order_id", "placed_at", "gross", "refunded", "visitor_id"
    )
    touches = _touches(engine, period, window, own, buyers)
    candidates = orders.join(
        touches,
        [
            orders.visitor_id == touches.touch_visitor_id,
            touches.started_at <= orders.placed_at,
            touches.started_at >= orders.placed_at - ibis.interval(seconds=int(window.total_seconds())),
        ],
    ).select(
        credited_order_id=orders.order_id,
        started_at=touches.started_at,
        touch_session_id=touches.touch_session_id,
        **{name: touches[name] for name in KEY},
    )
    ranked = candidates.mutate(
        rank=ibis.row_number().over(
            group_by=candidates.credited_order_id,
            order_by=[ibis.desc(candidates.started_at), ibis.desc(candidates.touch_session_id)],
        )
    )
    last = ranked.filter(ranked.rank == 0)
    credited = orders.left_join(last, orders.order_id == last.credited_order_id)
    rows = engine.rows(
        credited.group_by(**{name: credited[name].fill_null("") for name in KEY}).aggregate(
            orders=credited.count().cast("int64"),
            gross=credited.gross.sum().cast("int64"),
            refunded=credited.refunded.sum().cast("int64"),
        )
    )
    totals = _merged(rows, ("orders", "gross", "refunded"))
    spend = _spend(engine, period)
    for source in spend:
        totals.setdefault(source, {"orders": 0, "gross": 0, "refunded": 0})
    found = [
        Attributed(
            source=source,
            orders=values["orders"],
            gross_minor=values["gross"],
            refunded_minor=values["refunded"],
            cost_minor=spend.get(source, 0),
        )
        for source, values in totals.items()
    ]
    return tuple(sorted(found, key=lambda row: (-row.gross_minor, -row.orders, -row.cost_minor, row.source)))


def _buyers(engine: WarehouseEngine, period: Period) -> ir.Table:
    """The visitor who placed each order, from its order_placed event (a day either side
    of the period: the event and placed_at are a moment apart)."""
    events = engine.table("events")
    first_day, last_day = period.utc_days()
    placed = events.filter(
        events.day >= first_day - timedelta(days=1),
        events.day <= last_day + timedelta(days=1),
        events.kind == "order_placed",
        events.order_id.notnull(),
        events.visitor_id.fill_null("") != "",
    )
    return placed.group_by(buyer_order_id=placed.order_id).aggregate(visitor_id=placed.visitor_id.max())


def _touches(
    engine: WarehouseEngine, period: Period, window: timedelta, own: tuple[str, ...], buyers: ir.Table
) -> ir.Table:
    """Buyers' sessions from a campaign or an outside site, from `window` before the period."""
    first, after = period.utc_bounds()
    history = people_events_between(engine, first - window, after)
    pages = history.filter(history.kind == "page_view", history.visitor_id.isin(buyers.visitor_id))
    sessions = _first_pages(pages, own)
    outside = ibis.or_(*(sessions[name] != "" for name in KEY))
    sessions = sessions.filter(outside)
    return sessions.select(
        touch_visitor_id=sessions.visitor_id,
        touch_session_id=sessions.session_id,
        started_at=sessions.started_at,
        **{name: sessions[name] for name in KEY},
    )


def _spend(engine: WarehouseEngine, period: Period) -> dict[Source, int]:
    spend = engine.table("ad_spend")
    spend = spend.filter(spend.day >= period.start, spend.day <= period.end)
    rows = engine.rows(
        spend.group_by(
            utm_source=spend.utm_source.fill_null(""),
            utm_medium=spend.utm_medium.fill_null(""),
            utm_campaign=spend.utm_campaign.fill_null(""),
        ).aggregate(cost=spend.cost_minor.sum().cast("int64"))
    )
    return {_source({**row, "host": ""}): int(row["cost"] or 0) for row in rows}


def _source(row: dict[str, Any]) -> Source:
    source, medium, campaign, host = (row[name] or "" for name in KEY)
    if source or medium or campaign:
        return Source(Origin.CAMPAIGN, source, medium, campaign)
    if not host:
        return Source(Origin.DIRECT, "")
    return Source(origin_of_host(host), host)


def _merged(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[Source, dict[str, int]]:
    """Engine rows (one per KEY) summed per Source."""
    totals: dict[Source, dict[str, int]] = {}
    for row in rows:
        values = totals.setdefault(_source(row), dict.fromkeys(names, 0))
        for name in names:
            values[name] += int(row[name] or 0)
    return totals
