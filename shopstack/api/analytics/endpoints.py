"""GET /analytics/<report>: the back office's eight reports for staff's scripts and apps.

Each endpoint reads its parameters with the report service (`report_query`,
`product_options`: a bad one is a 422 naming it, before anything is run), asks the service
for the report (whose answers are cached until the warehouse changes) and writes it out
(shapes.py). The numbers are the dashboards' own: no metric is worked out here.

Only staff with `analytics.view_analytics` (superusers have it) and two-factor
authentication, signed in by session token or by the admin's session cookie. Answers are
private to them: `Cache-Control: private, no-store`, and never in the page cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from shopstack.analytics.dashboard.status import simulated_days
from shopstack.analytics.reports.dashboards import (
    campaigns_report,
    customers_report,
    fulfilment_report,
    funnel_report,
    inventory_report,
    overview_report,
    product_options,
    products_report,
    search_report,
)
from shopstack.analytics.reports.query import ReportQuery, report_query
from shopstack.api.analytics.params import AnalyticsProductParams, AnalyticsReportParams
from shopstack.api.analytics.schemas import (
    AnalyticsCampaignsOut,
    AnalyticsCustomersOut,
    AnalyticsFulfilmentOut,
    AnalyticsFunnelOut,
    AnalyticsInventoryOut,
    AnalyticsOverviewOut,
    AnalyticsProductsOut,
    AnalyticsSearchOut,
)
from shopstack.api.analytics.shapes import Json, Shaper
from shopstack.api.auth import staff_with
from shopstack.api.schemas import ErrorOut
from shopstack.core.errors import ValidationFailed

PERMISSION = "analytics.view_analytics"
PRIVATE = "private, no-store"
REPORT_PARAMETERS = ("range", "start", "end", "compare", "country", "category", "channel", "device")

router = Router(tags=["analytics reports"], auth=staff_with(PERMISSION))

ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}

ACCESS = f"""

**Who may ask.** Staff with the `{PERMISSION}` permission (superusers have it) and two-factor
authentication set up, signed in by `X-Session-Token` (allauth headless, app client) or by
the back office's session cookie: 401 without a signed-in user, 403 for anyone else (code
`forbidden`, or `staff_two_factor_required` for staff without two-factor authentication).
Answers are `Cache-Control: private, no-store`.

**Parameters.** A bad one is a 422 naming it in `fields` (`{{"start": ["..."]}}`), and
nothing is computed; unknown parameters are ignored. The numbers are defined in the shop's
docs/analytics.md ("Metrics"). Money is a decimal as text in `currency`; rates are
fractions as text with four places (`"0.0250"` is 2.5%), given beside the counts they are
worked out from, and null when there is nothing to divide by."""


def _report_query(params: AnalyticsReportParams) -> ReportQuery:
    return report_query(_as_text(params))


def _as_text(params: AnalyticsReportParams) -> dict[str, str]:
    """The parameters as the report service reads them: text, absent ones left out."""
    values = params.model_dump()
    return {name: str(values[name]) for name in REPORT_PARAMETERS if values.get(name) is not None}


def _private(response: HttpResponse) -> None:
    response["Cache-Control"] = PRIVATE


def _shaper() -> Shaper:
    return Shaper(currency=settings.SHOP_CURRENCY, simulated=simulated_days())


def _compared(
    response: HttpResponse,
    params: AnalyticsReportParams,
    report: Callable[[ReportQuery], Any],
    shape: Callable[[Shaper, Any], Json],
) -> Json:
    """A report that compares: its query read (422 if bad), asked, and written out with the
    current and the previous figures each shaped by `shape`."""
    query = _report_query(params)
    shaper = _shaper()
    answer = shaper.compared(query, report(query), lambda figures: shape(shaper, figures))
    _private(response)
    return answer


@router.get(
    "/analytics/overview",
    response={200: AnalyticsOverviewOut, **ERRORS},
    summary="Analytics: overview",
    operation_id="analytics_overview",
    description="Visitors, sessions, conversion, orders, revenue and customers, with every day of the "
    "period, beside the comparison period's." + ACCESS,
)
def analytics_overview(
    request: HttpRequest, response: HttpResponse, params: Query[AnalyticsReportParams]
) -> Json:
    return _compared(response, params, overview_report, Shaper.overview)


@router.get(
    "/analytics/funnel",
    response={200: AnalyticsFunnelOut, **ERRORS},
    summary="Analytics: checkout funnel",
    operation_id="analytics_funnel",
    description="The strict funnel from a session to an order paid, with abandonment at each step and "
    "abandoned carts, beside the comparison period's." + ACCESS,
)
def analytics_funnel(
    request: HttpRequest, response: HttpResponse, params: Query[AnalyticsReportParams]
) -> Json:
    return _compared(response, params, funnel_report, Shaper.funnel)


@router.get(
    "/analytics/products",
    response={200: AnalyticsProductsOut, **ERRORS},
    summary="Analytics: products",
    operation_id="analytics_products",
    description="A page of the products table (sorted by `sort` and `direction`, `limit` rows from "
    "`offset`), the best and worst sellers, and products viewed often but rarely bought. No "
    "comparison." + ACCESS,
)
def analytics_products(
    request: HttpRequest, response: HttpResponse, params: Query[AnalyticsProductParams]
) -> Json:
    # Both checked before anything runs, every bad parameter named at once.
    fields: dict[str, list[str]] = {}
    query = page = None
    try:
        query = _report_query(params)
    except ValidationFailed as refused:
        fields.update(refused.fields)
    try:
        page = product_options(params.sort, params.direction, params.limit, params.offset)
    except ValidationFailed as refused:
        fields.update(refused.fields)
    if fields or query is None or page is None:
        raise ValidationFailed("The report's parameters are not valid.", fields=fields)
    sort, descending, limit, offset = page
    report = products_report(query, sort=sort, descending=descending, limit=limit, offset=offset)
    _private(response)
    return _shaper().products(query, report, page)


@router.get(
    "/analytics/search",
    response={200: AnalyticsSearchOut, **ERRORS},
    summary="Analytics: site search",
    operation_id="analytics_search",
    description="Searches, click-through, zero-result searches, search-to-purchase conversion and the "
    "top and zero-result queries, beside the comparison period's." + ACCESS,
)
def analytics_search(
    request: HttpRequest, response: HttpResponse, params: Query[AnalyticsReportParams]
) -> Json:
    return _compared(response, params, search_report, Shaper.search)


@router.get(
    "/analytics/campaigns",
    response={200: AnalyticsCampaignsOut, **ERRORS},
    summary="Analytics: campaigns and ads",
    operation_id="analytics_campaigns",
    description="Sessions, orders and revenue by traffic source, and orders attributed by last "
    "non-direct click with ad spend, cost per order and return on ad spend, beside the comparison "
    "period's." + ACCESS,
)
def analytics_campaigns(
    request: HttpRequest, response: HttpResponse, params: Query[AnalyticsReportParams]
) -> Json:
    return _compared(response, params, campaigns_report, Shaper.campaigns)


@router.get(
    "/analytics/customers",
    response={200: AnalyticsCustomersOut, **ERRORS},
    summary="Analytics: customers",
    operation_id="analytics_customers",
    description="Sales by country, new and returning customers (beside the comparison period's), "
    "cohort retention, RFM segments and age bands." + ACCESS,
)
def analytics_customers(
    request: HttpRequest, response: HttpResponse, params: Query[AnalyticsReportParams]
) -> Json:
    query = _report_query(params)
    report = customers_report(query)
    _private(response)
    return _shaper().customers(query, report)


@router.get(
    "/analytics/fulfilment",
    response={200: AnalyticsFulfilmentOut, **ERRORS},
    summary="Analytics: fulfilment",
    operation_id="analytics_fulfilment",
    description="Time to paid, shipped and delivered, late shipments and deliveries and shipping "
    "charged, overall and by carrier, shipping method, zone and warehouse, beside the comparison "
    "period's." + ACCESS,
)
def analytics_fulfilment(
    request: HttpRequest, response: HttpResponse, params: Query[AnalyticsReportParams]
) -> Json:
    return _compared(response, params, fulfilment_report, Shaper.fulfilment)


@router.get(
    "/analytics/inventory",
    response={200: AnalyticsInventoryOut, **ERRORS},
    summary="Analytics: inventory",
    operation_id="analytics_inventory",
    description="Variants in stock, low and out of stock at the period's last snapshot, and per "
    "product its days of cover, days out of stock and estimated lost sales. No comparison; the "
    "country, channel and device filters do not apply to stock." + ACCESS,
)
def analytics_inventory(
    request: HttpRequest, response: HttpResponse, params: Query[AnalyticsReportParams]
) -> Json:
    query = _report_query(params)
    report = inventory_report(query)
    _private(response)
    return _shaper().inventory(query, report, settings.ANALYTICS_LOW_STOCK_UNITS)
