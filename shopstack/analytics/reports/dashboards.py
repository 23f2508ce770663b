"""One function per dashboard: the metrics it shows for a query, beside the comparison
period's where a comparison makes sense. Views and API endpoints call these and nothing
below them, so a page and the API never disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.conf import settings
from django.utils import timezone

from shopstack.analytics.engines import warehouse_engine
from shopstack.analytics.metrics.campaigns import Campaigns, campaigns
from shopstack.analytics.metrics.customers import (
    AgeBand,
    CountrySales,
    NewAndReturning,
    age_bands,
    new_and_returning,
    sales_by_country,
)
from shopstack.analytics.metrics.drilldown import LateOrders, SegmentCustomers, late_orders, segment_customers
from shopstack.analytics.metrics.fulfilment import Fulfilment, fulfilment
from shopstack.analytics.metrics.funnel import Funnel, funnel
from shopstack.analytics.metrics.inventory import Inventory, inventory
from shopstack.analytics.metrics.overview import Overview, overview
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.products import (
    SORT_COLUMNS,
    ProductRow,
    ProductTable,
    product_table,
    products_best,
    products_viewed_not_bought,
    products_worst,
)
from shopstack.analytics.metrics.retention import Cohort, cohort_retention
from shopstack.analytics.metrics.rfm import SEGMENTS, Rfm, rfm_segments
from shopstack.analytics.metrics.search import Search, search
from shopstack.analytics.reports.cache import cached
from shopstack.analytics.reports.query import ReportQuery
from shopstack.core.errors import ValidationFailed

DASHBOARDS = ("overview", "funnel", "products", "search", "campaigns", "customers", "fulfilment", "inventory")


@dataclass(frozen=True)
class Compared[T]:
    current: T
    previous: T | None  # the comparison period's, None without a comparison
    period: Period
    previous_period: Period | None


def _compared[T](name: str, query: ReportQuery, metric: Callable[[Period], T]) -> Compared[T]:
    def compute() -> Compared[T]:
        other = query.comparison
        return Compared(
            current=metric(query.period),
            previous=metric(other) if other is not None else None,
            period=query.period,
            previous_period=other,
        )

    return cached(f"{name}|{query!r}", compute)


def overview_report(query: ReportQuery) -> Compared[Overview]:
    return _compared("overview", query, lambda period: overview(warehouse_engine(), period))


def funnel_report(query: ReportQuery) -> Compared[Funnel]:
    return _compared("funnel", query, lambda period: funnel(warehouse_engine(), period))


def search_report(query: ReportQuery, *, limit: int = 20) -> Compared[Search]:
    return _compared(f"search:{limit}", query, lambda period: search(warehouse_engine(), period, limit=limit))


def campaigns_report(query: ReportQuery) -> Compared[Campaigns]:
    return _compared("campaigns", query, lambda period: campaigns(warehouse_engine(), period))


def fulfilment_report(query: ReportQuery, *, today: date | None = None) -> Compared[Fulfilment]:
    day = today or timezone.localdate()
    return _compared(
        f"fulfilment:{day}", query, lambda period: fulfilment(warehouse_engine(), period, today=day)
    )


@dataclass(frozen=True)
class ProductsReport:
    table: ProductTable
    best: tuple[ProductRow, ...]
    worst: tuple[ProductRow, ...]
    viewed_not_bought: tuple[ProductRow, ...]


PRODUCT_PAGE_SIZES = (20, 50, 100, 500)
VIEWED_NOT_BOUGHT_MIN_VIEWS = 100
VIEWED_NOT_BOUGHT_BELOW = Fraction(1, 100)


def product_options(
    sort: str, direction: str, limit: str | int, offset: str | int
) -> tuple[str, bool, int, int]:
    """The products table's sort, direction, page size and offset, checked: ValidationFailed
    names each bad one."""
    errors: dict[str, list[str]] = {}
    if sort not in SORT_COLUMNS:
        errors["sort"] = [f"Must be one of: {', '.join(SORT_COLUMNS)}."]
    if direction not in ("desc", "asc"):
        errors["direction"] = ["Must be desc or asc."]
    size = _whole(limit, "limit", errors)
    if size is not None and not 1 <= size <= PRODUCT_PAGE_SIZES[-1]:
        errors["limit"] = [f"Must be from 1 to {PRODUCT_PAGE_SIZES[-1]}."]
    start = _whole(offset, "offset", errors)
    if start is not None and start < 0:
        errors["offset"] = ["Must be 0 or more."]
    if errors or size is None or start is None:
        raise ValidationFailed("The table's options are not valid.", fields=errors)
    return sort, direction == "desc", size, start


def _whole(value: str | int, name: str, errors: dict[str, list[str]]) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return int(text)
    errors[name] = ["Must be a whole number."]
    return None


def products_report(
    query: ReportQuery, *, sort: str = "revenue", descending: bool = True, limit: int = 20, offset: int = 0
) -> ProductsReport:
    def compute() -> ProductsReport:
        engine, period = warehouse_engine(), query.period
        return ProductsReport(
            table=product_table(engine, period, sort=sort, descending=descending, limit=limit, offset=offset),
            best=products_best(engine, period),
            worst=products_worst(engine, period),
            viewed_not_bought=products_viewed_not_bought(
                engine,
                period,
                min_views=VIEWED_NOT_BOUGHT_MIN_VIEWS,
                conversion_below=VIEWED_NOT_BOUGHT_BELOW,
            ),
        )

    return cached(f"products|{sort}|{descending}|{limit}|{offset}|{query!r}", compute)


@dataclass(frozen=True)
class CustomersReport:
    countries: list[CountrySales]
    new_and_returning: Compared[NewAndReturning]
    retention: list[Cohort]
    rfm: Rfm
    age_bands: list[AgeBand]


def customers_report(query: ReportQuery) -> CustomersReport:
    def compute() -> CustomersReport:
        engine, period = warehouse_engine(), query.period
        return CustomersReport(
            countries=sales_by_country(engine, period),
            new_and_returning=_compared(
                "new_and_returning", query, lambda each: new_and_returning(warehouse_engine(), each)
            ),
            retention=cohort_retention(engine, period),
            rfm=rfm_segments(engine, period),
            age_bands=age_bands(engine, period),
        )

    return cached(f"customers|{query!r}", compute)


def inventory_report(query: ReportQuery) -> Inventory:
    low = settings.ANALYTICS_LOW_STOCK_UNITS
    return cached(f"inventory|{low}|{query!r}", lambda: inventory(warehouse_engine(), query.period, low))


def segment_customers_report(query: ReportQuery, segment: str, *, limit: int = 50) -> SegmentCustomers:
    """The customers behind an RFM segment's count (customers page drill-down)."""
    if segment not in SEGMENTS:
        raise ValidationFailed(
            "Unknown segment.", fields={"segment": [f"Must be one of: {', '.join(SEGMENTS)}."]}
        )
    return cached(
        f"segment_customers|{segment}|{limit}|{query!r}",
        lambda: segment_customers(warehouse_engine(), query.period, segment, limit=limit),
    )


def late_orders_report(query: ReportQuery, *, today: date | None = None, limit: int = 50) -> LateOrders:
    """The orders behind the late shipment count (fulfilment page drill-down)."""
    day = today or timezone.localdate()
    return cached(
        f"late_orders|{day}|{limit}|{query!r}",
        lambda: late_orders(warehouse_engine(), query.period, today=day, limit=limit),
    )
