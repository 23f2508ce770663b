"""The answers of /api/v1/analytics, one schema per report, as published in the OpenAPI
schema. The numbers are the report service's (`shopstack.analytics.reports`);
docs/analytics.md ("Metrics") defines each one. Money, rates and dates follow params.py's
conventions (MONEY, RATE)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from ninja import Schema
from pydantic import Field

from shopstack.analytics.metrics.funnel import STEPS
from shopstack.analytics.metrics.referrers import Origin
from shopstack.api.analytics.params import MONEY, RATE, AnalyticsReportOut

# Overview --------------------------------------------------------------------------------


class AnalyticsTrafficOut(Schema):
    visitors: int = Field(description="People with a page view (bots never count).")
    sessions: int = Field(description="Sessions with a page view.")
    bounced_sessions: int = Field(description="Sessions of one page.")
    bounce_rate: str | None = Field(description="bounced_sessions / sessions. " + RATE)
    engaged_ms: int = Field(description="Milliseconds pages were visible, summed (from the beacon).")
    time_per_session_ms: int | None = Field(
        description="engaged_ms / sessions, rounded to a whole millisecond; null without sessions."
    )
    bot_events: int = Field(description="Events recorded from bots, counted apart.")


class AnalyticsDayOut(Schema):
    day: date = Field(description="A day of the period.")
    sessions: int = Field(description="Sessions whose first page was on this day.")
    orders: int = Field(description="Orders placed on this day.")
    gross_revenue: str = Field(description="Revenue orders' totals placed on this day. " + MONEY)
    refunded: str = Field(description="Refunded on those orders. " + MONEY)
    net_revenue: str = Field(description="gross_revenue less refunded. " + MONEY)


class AnalyticsOverviewFiguresOut(Schema):
    traffic: AnalyticsTrafficOut = Field(description="Visitors and sessions.")
    converted_sessions: int = Field(description="Sessions with a page view that placed an order.")
    conversion_rate: str | None = Field(description="converted_sessions / traffic.sessions. " + RATE)
    returning_visitors: int = Field(description="Visitors seen in the 365 days before the period.")
    orders: int = Field(description="Orders placed in the period, cancelled and unpaid ones included.")
    revenue_orders: int = Field(description="Of those, paid and not cancelled.")
    gross_revenue: str = Field(description="Totals of the revenue orders. " + MONEY)
    refunded: str = Field(description="Refunded on the revenue orders. " + MONEY)
    net_revenue: str = Field(description="gross_revenue less refunded. " + MONEY)
    average_order_value: str | None = Field(
        description="gross_revenue / revenue_orders; null without revenue orders. " + MONEY
    )
    customers: int = Field(description="Distinct signed-in customers with an order in the period.")
    new_customers: int = Field(description="customers less returning_customers.")
    returning_customers: int = Field(
        description="Of customers, those with an order placed before the period."
    )
    days: list[AnalyticsDayOut] = Field(
        description="Every day of the period, oldest first (days with nothing show zeros)."
    )


class AnalyticsOverviewOut(AnalyticsReportOut):
    """Traffic, conversion, orders and revenue, beside the comparison period's."""

    current: AnalyticsOverviewFiguresOut = Field(description="The period's figures.")
    previous: AnalyticsOverviewFiguresOut | None = Field(
        description="The comparison period's; null without one."
    )


# Funnel ----------------------------------------------------------------------------------

if TYPE_CHECKING:
    StepName = str
else:
    StepName = Literal[STEPS]


class AnalyticsStepOut(Schema):
    name: StepName = Field(description="The step, in funnel order.")
    sessions: int = Field(description="Sessions that reached this step and every one before it.")
    abandoned: int = Field(description="The step before's sessions less this step's (0 at the first step).")
    abandonment_rate: str | None = Field(
        description="abandoned / the step before's sessions; null at the first step. " + RATE
    )
    share: str | None = Field(description="sessions / the first step's sessions. " + RATE)


class AnalyticsFunnelFiguresOut(Schema):
    steps: list[AnalyticsStepOut] = Field(description="Every step, from a session to an order paid.")
    abandoned_carts: int = Field(description="Sessions with a cart add and no order placed.")
    abandoned_cart_value: str = Field(
        description="What those sessions added less what they removed, never below zero each. " + MONEY
    )


class AnalyticsFunnelOut(AnalyticsReportOut):
    """The strict checkout funnel, beside the comparison period's."""

    current: AnalyticsFunnelFiguresOut = Field(description="The period's funnel.")
    previous: AnalyticsFunnelFiguresOut | None = Field(
        description="The comparison period's; null without one."
    )


# Products --------------------------------------------------------------------------------


class AnalyticsProductRowOut(Schema):
    product_id: int = Field(description="The product's id.")
    name: str = Field(description="The product's name.")
    views: int = Field(description="product_view events.")
    view_sessions: int = Field(description="Sessions that viewed it.")
    cart_sessions: int = Field(description="Sessions that added it to the cart.")
    add_to_cart_rate: str | None = Field(description="cart_sessions / view_sessions. " + RATE)
    units: int = Field(description="Units sold in the period's revenue orders.")
    orders: int = Field(description="Revenue orders with a line of it.")
    conversion: str | None = Field(
        description="orders / view_sessions (above 1 when orders were placed without a visit). " + RATE
    )
    revenue: str = Field(description="Its lines' totals, before order discounts, shipping and tax. " + MONEY)
    refunded: str = Field(description="Refunded on its lines. " + MONEY)
    net_revenue: str = Field(description="revenue less refunded. " + MONEY)
    refund_rate: str | None = Field(description="refunded / revenue. " + RATE)
    units_returned: int = Field(description="Units returned.")
    return_rate: str | None = Field(description="units_returned / units. " + RATE)


class AnalyticsProductsOut(AnalyticsReportOut):
    """The products table (a page of it), best and worst sellers, and products viewed often
    but rarely bought. No comparison: `previous_period` is null."""

    sort: str = Field(description="The table's sort column.")
    direction: str = Field(description="`desc` or `asc`.")
    limit: int = Field(description="Rows asked for.")
    offset: int = Field(description="Rows skipped.")
    total: int = Field(description="Rows in the whole table, for paging.")
    items: list[AnalyticsProductRowOut] = Field(description="This page of the table.")
    best: list[AnalyticsProductRowOut] = Field(description="The ten products of highest revenue.")
    worst: list[AnalyticsProductRowOut] = Field(
        description="The ten of lowest revenue; products that sold nothing first."
    )
    viewed_not_bought: list[AnalyticsProductRowOut] = Field(
        description="Products with at least `viewed_not_bought_min_views` views and a conversion below "
        "`viewed_not_bought_below`, most viewed first."
    )
    viewed_not_bought_min_views: int = Field(description="The views a product needs to be listed there.")
    viewed_not_bought_below: str = Field(description="The conversion it must be below. " + RATE)


# Search ----------------------------------------------------------------------------------


class AnalyticsQueryOut(Schema):
    query: str = Field(description="The query, lower case, runs of spaces as one, trimmed.")
    searches: int = Field(description="Searches for it.")
    sessions: int = Field(description="Sessions that searched for it.")
    zero_result_searches: int = Field(description="Of the searches, those that found nothing.")
    clicks: int = Field(description="Results clicked.")
    click_through: str | None = Field(description="clicks / searches. " + RATE)


class AnalyticsSearchFiguresOut(Schema):
    searches: int = Field(description="search events.")
    search_sessions: int = Field(description="Sessions with a search.")
    clicks: int = Field(description="search_click events.")
    click_through: str | None = Field(description="clicks / searches. " + RATE)
    zero_result_searches: int = Field(
        description="Searches that found nothing (an unknown count is not zero)."
    )
    zero_result_rate: str | None = Field(description="zero_result_searches / searches. " + RATE)
    converted_search_sessions: int = Field(description="Sessions with a search that placed an order.")
    conversion_rate: str | None = Field(description="converted_search_sessions / search_sessions. " + RATE)
    top_queries: list[AnalyticsQueryOut] = Field(
        description="The 20 most searched queries (ties alphabetically)."
    )
    zero_result_queries: list[AnalyticsQueryOut] = Field(
        description="The 20 queries with most zero-result searches (ties alphabetically)."
    )


class AnalyticsSearchOut(AnalyticsReportOut):
    """Site search, beside the comparison period's."""

    current: AnalyticsSearchFiguresOut = Field(description="The period's figures.")
    previous: AnalyticsSearchFiguresOut | None = Field(
        description="The comparison period's; null without one."
    )


# Campaigns -------------------------------------------------------------------------------

if TYPE_CHECKING:
    OriginName = str
else:
    OriginName = Literal[tuple(origin.value for origin in Origin)]


class AnalyticsSourceOut(Schema):
    origin: OriginName = Field(
        description="`campaign` (utm tags), or the referrer's class: `direct`, `search`, `social` or "
        "`referral`."
    )
    source: str = Field(description="utm_source, or the referring host without `www.` (empty when direct).")
    medium: str = Field(description="utm_medium (empty when untagged).")
    campaign: str = Field(description="utm_campaign (empty when untagged).")


class AnalyticsSessionSourceOut(Schema):
    source: AnalyticsSourceOut = Field(description="Where the sessions came from (their first page).")
    sessions: int = Field(description="Sessions credited to this source.")
    converted_sessions: int = Field(description="Of those, sessions with an order placed.")
    conversion_rate: str | None = Field(description="converted_sessions / sessions. " + RATE)
    orders: int = Field(description="order_placed events in those sessions.")
    gross_revenue: str = Field(description="Those orders' revenue. " + MONEY)
    refunded: str = Field(description="Refunded on those orders. " + MONEY)


class AnalyticsAttributedOut(Schema):
    source: AnalyticsSourceOut = Field(
        description="The last non-direct session before each order (or direct)."
    )
    orders: int = Field(description="Orders placed in the period credited to it.")
    gross_revenue: str = Field(description="Their revenue. " + MONEY)
    refunded: str = Field(description="Refunded on them. " + MONEY)
    net_revenue: str = Field(description="gross_revenue less refunded. " + MONEY)
    cost: str = Field(
        description="Ad spend of the campaign in the period (0 when none is recorded). " + MONEY
    )
    cost_per_order: str | None = Field(description="cost / orders; null without cost or orders. " + MONEY)
    return_on_ad_spend: str | None = Field(
        description='gross_revenue / cost, as a decimal with four places (`"3.2500"`); null without cost.'
    )


class AnalyticsCampaignsFiguresOut(Schema):
    by_session: list[AnalyticsSessionSourceOut] = Field(
        description="Per source of the sessions, most sessions first."
    )
    attributed: list[AnalyticsAttributedOut] = Field(
        description="Orders by last non-direct click, with ad spend; most revenue first, then most orders, "
        "then most cost."
    )


class AnalyticsCampaignsOut(AnalyticsReportOut):
    """Traffic sources, attributed orders and ad spend, beside the comparison period's."""

    current: AnalyticsCampaignsFiguresOut = Field(description="The period's figures.")
    previous: AnalyticsCampaignsFiguresOut | None = Field(
        description="The comparison period's; null without one."
    )


# Customers -------------------------------------------------------------------------------


class AnalyticsCountryOut(Schema):
    country: str = Field(
        description="ISO 3166-1 alpha-2 code, or `unknown` for sessions and orders without one."
    )
    sessions: int = Field(description="Sessions with a page view whose pages carry this country.")
    orders: int = Field(description="Revenue orders shipped there.")
    revenue: str = Field(description="Their totals. " + MONEY)
    average_order_value: str | None = Field(description="revenue / orders. " + MONEY)
    conversion_rate: str | None = Field(
        description="orders / sessions (above 1 when visits of unknown country led to known orders). " + RATE
    )


class AnalyticsCustomerGroupOut(Schema):
    customers: int = Field(description="Distinct customers (0 for guests: a guest is not known again).")
    orders: int = Field(description="Revenue orders of the period.")
    revenue: str = Field(description="Their totals. " + MONEY)
    average_order_value: str | None = Field(description="revenue / orders. " + MONEY)


class AnalyticsNewAndReturningFiguresOut(Schema):
    new: AnalyticsCustomerGroupOut = Field(description="Customers with no counted order before the period.")
    returning: AnalyticsCustomerGroupOut = Field(description="Customers who had ordered before the period.")
    guests: AnalyticsCustomerGroupOut = Field(description="Orders without an account.")
    new_customer_share: str | None = Field(
        description="new.customers / (new.customers + returning.customers). " + RATE
    )


class AnalyticsNewAndReturningOut(Schema):
    current: AnalyticsNewAndReturningFiguresOut = Field(description="The period's.")
    previous: AnalyticsNewAndReturningFiguresOut | None = Field(
        description="The comparison period's (`previous_period`); null without one."
    )


class AnalyticsCohortOut(Schema):
    month: date = Field(description="The first day of the month of the cohort's first orders.")
    customers: int = Field(description="Customers whose first counted order was in that month.")
    returned: list[int | None] = Field(
        description="Of them, customers who ordered in month +1 ... +12; null for a month not begun by the "
        "period's end."
    )
    retention: list[str | None] = Field(description="Each of `returned` / customers. " + RATE)


class AnalyticsSegmentOut(Schema):
    name: str = Field(description="The RFM segment, best first: Champions, Loyal, ..., Hibernating.")
    customers: int = Field(description="Customers in it, as of the period's end.")
    share: str | None = Field(description="customers / every scored customer. " + RATE)
    orders: int = Field(description="Their counted orders, all time up to the period's end.")
    revenue: str = Field(description="Those orders' totals. " + MONEY)
    average_revenue: str | None = Field(description="revenue / customers. " + MONEY)


class AnalyticsRfmOut(Schema):
    customers: int = Field(description="Customers scored (with a counted order up to the period's end).")
    segments: list[AnalyticsSegmentOut] = Field(description="Every segment, in a fixed order, best first.")


class AnalyticsAgeBandOut(Schema):
    age_band: str = Field(description="From the customer's profile (kept with consent), or `unknown`.")
    customers: int = Field(description="Customers of the band who ordered in the period.")
    orders: int = Field(description="Their revenue orders.")
    revenue: str = Field(description="Their totals. " + MONEY)
    average_order_value: str | None = Field(description="revenue / orders. " + MONEY)
    signed_in_sessions: int = Field(description="Sessions in which a customer of the band was signed in.")
    converted_sessions: int = Field(description="Of those, sessions that placed an order.")
    conversion_rate: str | None = Field(description="converted_sessions / signed_in_sessions. " + RATE)


class AnalyticsCustomersOut(AnalyticsReportOut):
    """Who buys. Only new and returning customers are compared (`previous_period` is theirs)."""

    countries: list[AnalyticsCountryOut] = Field(description="Sales by country, most revenue first.")
    new_and_returning: AnalyticsNewAndReturningOut = Field(description="New, returning and guest orders.")
    retention: list[AnalyticsCohortOut] = Field(
        description="The 13 monthly cohorts ending with the month of the period's end, oldest first."
    )
    rfm: AnalyticsRfmOut = Field(
        description="Recency, frequency and monetary segments as of the period's end."
    )
    age_bands: list[AnalyticsAgeBandOut] = Field(description="Orders and conversion by age band.")


# Fulfilment ------------------------------------------------------------------------------


class AnalyticsLeadTimeOut(Schema):
    orders: int = Field(description="Orders that reached the stage.")
    p50_seconds: int | None = Field(
        description="Median seconds from placing (nearest rank); null without orders."
    )
    p95_seconds: int | None = Field(
        description="95th percentile seconds (nearest rank); null without orders."
    )


class AnalyticsFulfilmentGroupOut(Schema):
    key: str = Field(
        description="The carrier, shipping method, zone or warehouse (`unknown` for orders without one); "
        "`overall` for the figures of every order."
    )
    orders: int = Field(description="Orders placed in the period and not cancelled.")
    shipping_charged: str = Field(description="Shipping charged on them. " + MONEY)
    paid: AnalyticsLeadTimeOut = Field(description="Time from placing to paid.")
    shipped: AnalyticsLeadTimeOut = Field(description="Time from placing to shipped.")
    delivered: AnalyticsLeadTimeOut = Field(description="Time from placing to delivered.")
    promised: int = Field(description="Orders whose shipping method promises a number of working days.")
    late_shipments: int = Field(description="Shipped more working days after the order day than promised.")
    overdue_unshipped: int = Field(description="Not shipped and already past the promise.")
    late_shipment_rate: str | None = Field(
        description="(late_shipments + overdue_unshipped) / promised. " + RATE
    )
    late_deliveries: int = Field(description="Delivered more working days after the order day than promised.")


class AnalyticsFulfilmentFiguresOut(Schema):
    overall: AnalyticsFulfilmentGroupOut = Field(description="Every order of the period.")
    by_carrier: list[AnalyticsFulfilmentGroupOut] = Field(
        description="Per carrier of the first shipment, by key."
    )
    by_shipping_method: list[AnalyticsFulfilmentGroupOut] = Field(description="Per shipping method, by key.")
    by_zone: list[AnalyticsFulfilmentGroupOut] = Field(description="Per shipping zone, by key.")
    by_warehouse: list[AnalyticsFulfilmentGroupOut] = Field(
        description="Per warehouse of the first allocation (its name, else its id), by key."
    )


class AnalyticsFulfilmentOut(AnalyticsReportOut):
    """Lead times and lateness, beside the comparison period's."""

    current: AnalyticsFulfilmentFiguresOut = Field(description="The period's figures.")
    previous: AnalyticsFulfilmentFiguresOut | None = Field(
        description="The comparison period's; null without one."
    )


# Inventory -------------------------------------------------------------------------------


class AnalyticsStockStatusOut(Schema):
    snapshot_day: date | None = Field(description="The period's last stock snapshot; null when it has none.")
    low_stock_units: int = Field(description="A variant with 1 up to this many units available is low.")
    in_stock: int = Field(description="Variants with more than low_stock_units available.")
    low: int = Field(description="Variants with 1 to low_stock_units available.")
    out_of_stock: int = Field(description="Variants with nothing available.")


class AnalyticsProductStockOut(Schema):
    product_id: int = Field(description="The product's id.")
    name: str = Field(description="The product's name.")
    price: str | None = Field(description="Its current price (products dimension); null if unknown. " + MONEY)
    available: int = Field(description="Units available at the period's last snapshot, all warehouses.")
    units_sold_recently: int = Field(
        description="Units sold in the 28 days ending with the period's last day."
    )
    cover_days: str | None = Field(
        description="available / average daily units sold over those 28 days, a decimal with one place; "
        "null when none were sold."
    )
    snapshot_days: int = Field(description="Days of the period with a snapshot of the product.")
    out_of_stock_days: int = Field(description="Of those, days with nothing available.")
    units_sold_in_stock: int = Field(description="Units sold in the period on the days it was in stock.")
    lost_units: str | None = Field(
        description="Estimate: out_of_stock_days x units sold per in-stock day, a decimal with one place; "
        "null when it was never in stock."
    )
    lost_sales: str | None = Field(description="lost_units valued at price; null when either is. " + MONEY)


class AnalyticsInventoryOut(AnalyticsReportOut):
    """Stock status and per-product cover, days out of stock and lost sales. No comparison:
    `previous_period` is null."""

    status: AnalyticsStockStatusOut = Field(description="Variants in stock, low and out of stock.")
    products: list[AnalyticsProductStockOut] = Field(
        description="Every product with a snapshot in the period, by id."
    )
