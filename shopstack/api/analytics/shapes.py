"""The report service's answers as the API's JSON (schemas.py). Nothing is counted or
worked out here: every number is a field or property of the metrics' dataclasses, only
written out as the API writes numbers (params.py: money and rates as decimal text)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from shopstack.analytics.dashboard.status import Simulated, overlaps
from shopstack.analytics.metrics.campaigns import Attributed, Campaigns, SessionSource, Source
from shopstack.analytics.metrics.customers import AgeBand, CountrySales, CustomerGroup, NewAndReturning
from shopstack.analytics.metrics.fulfilment import Fulfilment, FulfilmentGroup, LeadTime
from shopstack.analytics.metrics.funnel import Funnel
from shopstack.analytics.metrics.inventory import Inventory, ProductStock
from shopstack.analytics.metrics.overview import Overview
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.products import ProductRow
from shopstack.analytics.metrics.retention import Cohort
from shopstack.analytics.metrics.rfm import Rfm
from shopstack.analytics.metrics.search import Query, Search
from shopstack.analytics.reports.dashboards import (
    VIEWED_NOT_BOUGHT_BELOW,
    VIEWED_NOT_BOUGHT_MIN_VIEWS,
    Compared,
    CustomersReport,
    ProductsReport,
)
from shopstack.analytics.reports.query import ReportQuery
from shopstack.core.money import minor_units, quantize

Json = dict[str, Any]
RATE_PLACES = Decimal("0.0001")
ONE_PLACE = Decimal("0.1")


def _exact(value: float | int | Fraction) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, int):
        return Decimal(value)
    # The float's shortest repr, so a ratio such as 3/20000 rounds as the decimal it
    # stands for (0.00015 -> 0.0002), not as its binary approximation (0.000149999...).
    return Decimal(repr(value))


def rate(value: float | int | Fraction | None) -> str | None:
    """A ratio as a fraction with four places, rounded half up; None stays None."""
    return None if value is None else str(_exact(value).quantize(RATE_PLACES, rounding=ROUND_HALF_UP))


def one_place(value: float | None) -> str | None:
    return None if value is None else str(_exact(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP))


def whole(value: float | None) -> int | None:
    return None if value is None else int(_exact(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Shaper:
    """Writes one answer: knows the shop's currency, in whose minor units the metrics count,
    and the simulated days of the demo data, if the warehouse holds any."""

    currency: str
    simulated: Simulated | None = None

    def amount(self, minor: float | int) -> str:
        """Minor units (pence) as the currency's decimal: 123450 -> "1234.50"; an average
        of minor units is rounded half up to the minor unit."""
        return str(quantize(_exact(minor).scaleb(-minor_units(self.currency)), self.currency))

    def money(self, minor: float | int | None) -> str | None:
        return None if minor is None else self.amount(minor)

    # What every answer starts with ----------------------------------------------------

    def header(self, query: ReportQuery, previous_period: Period | None) -> Json:
        filters = query.period.filters
        return {
            "range": query.range,
            "compare": query.compare,
            "period": _period(query.period),
            "previous_period": None if previous_period is None else _period(previous_period),
            "filters": {
                "country": filters.country or None,
                "category": filters.category_id,
                "channel": filters.channel or None,
                "device": filters.device or None,
            },
            "currency": self.currency,
            # The dashboards' own rule for their "simulated" banner.
            "simulated": overlaps(self.simulated, query.period, previous_period),
        }

    def compared(self, query: ReportQuery, report: Compared[Any], shape: Callable[[Any], Json]) -> Json:
        return {
            **self.header(query, report.previous_period),
            "current": shape(report.current),
            "previous": None if report.previous is None else shape(report.previous),
        }

    # Overview --------------------------------------------------------------------------

    def overview(self, figures: Overview) -> Json:
        traffic = figures.traffic
        return {
            "traffic": {
                "visitors": traffic.visitors,
                "sessions": traffic.sessions,
                "bounced_sessions": traffic.bounced_sessions,
                "bounce_rate": rate(traffic.bounce_rate),
                "engaged_ms": traffic.engaged_ms,
                "time_per_session_ms": whole(traffic.time_per_session_ms),
                "bot_events": traffic.bot_events,
            },
            "converted_sessions": figures.converted_sessions,
            "conversion_rate": rate(figures.conversion_rate),
            "returning_visitors": figures.returning_visitors,
            "orders": figures.orders,
            "revenue_orders": figures.revenue_orders,
            "gross_revenue": self.amount(figures.gross_minor),
            "refunded": self.amount(figures.refunded_minor),
            "net_revenue": self.amount(figures.net_minor),
            "average_order_value": self.money(figures.average_order_minor),
            "customers": figures.customers,
            "new_customers": figures.new_customers,
            "returning_customers": figures.returning_customers,
            "days": [
                {
                    "day": day.day,
                    "sessions": day.sessions,
                    "orders": day.orders,
                    "gross_revenue": self.amount(day.gross_minor),
                    "refunded": self.amount(day.refunded_minor),
                    "net_revenue": self.amount(day.net_minor),
                }
                for day in figures.days
            ],
        }

    # Funnel ----------------------------------------------------------------------------

    def funnel(self, figures: Funnel) -> Json:
        return {
            "steps": [
                {
                    "name": step.name,
                    "sessions": step.sessions,
                    "abandoned": step.abandoned,
                    "abandonment_rate": rate(step.abandonment_rate),
                    "share": rate(figures.share(step.name)),
                }
                for step in figures.steps
            ],
            "abandoned_carts": figures.abandoned_carts,
            "abandoned_cart_value": self.amount(figures.abandoned_cart_minor),
        }

    # Products --------------------------------------------------------------------------

    def product(self, row: ProductRow) -> Json:
        return {
            "product_id": row.product_id,
            "name": row.name,
            "views": row.views,
            "view_sessions": row.view_sessions,
            "cart_sessions": row.cart_sessions,
            "add_to_cart_rate": rate(row.add_to_cart_rate),
            "units": row.units,
            "orders": row.orders,
            "conversion": rate(row.conversion),
            "revenue": self.amount(row.revenue_minor),
            "refunded": self.amount(row.refunded_minor),
            "net_revenue": self.amount(row.net_revenue_minor),
            "refund_rate": rate(row.refund_rate),
            "units_returned": row.units_returned,
            "return_rate": rate(row.return_rate),
        }

    def products(self, query: ReportQuery, report: ProductsReport, page: tuple[str, bool, int, int]) -> Json:
        sort, descending, limit, offset = page
        return {
            **self.header(query, None),
            "sort": sort,
            "direction": "desc" if descending else "asc",
            "limit": limit,
            "offset": offset,
            "total": report.table.total,
            "items": [self.product(row) for row in report.table.rows],
            "best": [self.product(row) for row in report.best],
            "worst": [self.product(row) for row in report.worst],
            "viewed_not_bought": [self.product(row) for row in report.viewed_not_bought],
            "viewed_not_bought_min_views": VIEWED_NOT_BOUGHT_MIN_VIEWS,
            "viewed_not_bought_below": rate(VIEWED_NOT_BOUGHT_BELOW),
        }

    # Search ----------------------------------------------------------------------------

    def search(self, figures: Search) -> Json:
        return {
            "searches": figures.searches,
            "search_sessions": figures.search_sessions,
            "clicks": figures.clicks,
            "click_through": rate(figures.click_through),
            "zero_result_searches": figures.zero_result_searches,
            "zero_result_rate": rate(figures.zero_result_rate),
            "converted_search_sessions": figures.converted_search_sessions,
            "conversion_rate": rate(figures.conversion_rate),
            "top_queries": [_query(query) for query in figures.top_queries],
            "zero_result_queries": [_query(query) for query in figures.zero_result_queries],
        }

    # Campaigns -------------------------------------------------------------------------

    def campaigns(self, figures: Campaigns) -> Json:
        return {
            "by_session": [self._session_source(row) for row in figures.by_session],
            "attributed": [self._attributed(row) for row in figures.attributed],
        }

    def _session_source(self, row: SessionSource) -> Json:
        return {
            "source": _source(row.source),
            "sessions": row.sessions,
            "converted_sessions": row.converted_sessions,
            "conversion_rate": rate(row.conversion_rate),
            "orders": row.orders,
            "gross_revenue": self.amount(row.gross_minor),
            "refunded": self.amount(row.refunded_minor),
        }

    def _attributed(self, row: Attributed) -> Json:
        return {
            "source": _source(row.source),
            "orders": row.orders,
            "gross_revenue": self.amount(row.gross_minor),
            "refunded": self.amount(row.refunded_minor),
            "net_revenue": self.amount(row.net_minor),
            "cost": self.amount(row.cost_minor),
            "cost_per_order": self.money(row.cost_per_order_minor),
            "return_on_ad_spend": rate(row.return_on_ad_spend),
        }

    # Customers -------------------------------------------------------------------------

    def customers(self, query: ReportQuery, report: CustomersReport) -> Json:
        compared = report.new_and_returning
        return {
            **self.header(query, compared.previous_period),
            "countries": [self._country(row) for row in report.countries],
            "new_and_returning": {
                "current": self._new_and_returning(compared.current),
                "previous": None if compared.previous is None else self._new_and_returning(compared.previous),
            },
            "retention": [_cohort(cohort) for cohort in report.retention],
            "rfm": self._rfm(report.rfm),
            "age_bands": [self._age_band(band) for band in report.age_bands],
        }

    def _country(self, row: CountrySales) -> Json:
        return {
            "country": row.country,
            "sessions": row.sessions,
            "orders": row.orders,
            "revenue": self.amount(row.revenue_minor),
            "average_order_value": self.money(row.average_order_minor),
            "conversion_rate": rate(row.conversion_rate),
        }

    def _group(self, group: CustomerGroup) -> Json:
        return {
            "customers": group.customers,
            "orders": group.orders,
            "revenue": self.amount(group.revenue_minor),
            "average_order_value": self.money(group.average_order_minor),
        }

    def _new_and_returning(self, figures: NewAndReturning) -> Json:
        return {
            "new": self._group(figures.new),
            "returning": self._group(figures.returning),
            "guests": self._group(figures.guests),
            "new_customer_share": rate(figures.new_customer_share),
        }

    def _rfm(self, rfm: Rfm) -> Json:
        return {
            "customers": rfm.customers,
            "segments": [
                {
                    "name": segment.name,
                    "customers": segment.customers,
                    "share": rate(rfm.share(segment.name)),
                    "orders": segment.orders,
                    "revenue": self.amount(segment.revenue_minor),
                    "average_revenue": self.money(segment.average_revenue_minor),
                }
                for segment in rfm.segments
            ],
        }

    def _age_band(self, band: AgeBand) -> Json:
        return {
            "age_band": band.age_band,
            "customers": band.customers,
            "orders": band.orders,
            "revenue": self.amount(band.revenue_minor),
            "average_order_value": self.money(band.average_order_minor),
            "signed_in_sessions": band.signed_in_sessions,
            "converted_sessions": band.converted_sessions,
            "conversion_rate": rate(band.conversion_rate),
        }

    # Fulfilment ------------------------------------------------------------------------

    def fulfilment(self, figures: Fulfilment) -> Json:
        def groups(found: dict[str, FulfilmentGroup]) -> list[Json]:
            return [self._fulfilment_group(key, found[key]) for key in sorted(found)]

        return {
            "overall": self._fulfilment_group("overall", figures.overall),
            "by_carrier": groups(figures.by_carrier),
            "by_shipping_method": groups(figures.by_shipping_method),
            "by_zone": groups(figures.by_zone),
            "by_warehouse": groups(figures.by_warehouse),
        }

    def _fulfilment_group(self, key: str, group: FulfilmentGroup) -> Json:
        return {
            "key": key,
            "orders": group.orders,
            "shipping_charged": self.amount(group.shipping_charged_minor),
            "paid": _lead_time(group.paid),
            "shipped": _lead_time(group.shipped),
            "delivered": _lead_time(group.delivered),
            "promised": group.promised,
            "late_shipments": group.late_shipments,
            "overdue_unshipped": group.overdue_unshipped,
            "late_shipment_rate": rate(group.late_shipment_rate),
            "late_deliveries": group.late_deliveries,
        }

    # Inventory -------------------------------------------------------------------------

    def inventory(self, query: ReportQuery, report: Inventory, low_stock_units: int) -> Json:
        status = report.status
        return {
            **self.header(query, None),
            "status": {
                "snapshot_day": status.snapshot_day,
                "low_stock_units": low_stock_units,
                "in_stock": status.in_stock,
                "low": status.low,
                "out_of_stock": status.out_of_stock,
            },
            "products": [self._stock(product) for product in report.products],
        }

    def _stock(self, product: ProductStock) -> Json:
        return {
            "product_id": product.product_id,
            "name": product.name,
            "price": self.money(product.price_minor),
            "available": product.available,
            "units_sold_recently": product.units_sold_recently,
            "cover_days": one_place(product.cover_days),
            "snapshot_days": product.snapshot_days,
            "out_of_stock_days": product.out_of_stock_days,
            "units_sold_in_stock": product.units_sold_in_stock,
            "lost_units": one_place(product.lost_units),
            "lost_sales": self.money(product.lost_sales_minor),
        }


def _period(period: Period) -> Json:
    return {"start": period.start, "end": period.end, "days": period.days}


def _query(query: Query) -> Json:
    return {
        "query": query.query,
        "searches": query.searches,
        "sessions": query.sessions,
        "zero_result_searches": query.zero_result_searches,
        "clicks": query.clicks,
        "click_through": rate(query.click_through),
    }


def _source(source: Source) -> Json:
    return {
        "origin": source.origin,
        "source": source.source,
        "medium": source.medium,
        "campaign": source.campaign,
    }


def _cohort(cohort: Cohort) -> Json:
    return {
        "month": cohort.month,
        "customers": cohort.customers,
        "returned": list(cohort.returned),
        "retention": [rate(value) for value in cohort.retention],
    }


def _lead_time(lead: LeadTime) -> Json:
    return {"orders": lead.orders, "p50_seconds": lead.p50_seconds, "p95_seconds": lead.p95_seconds}
