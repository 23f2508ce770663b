"""The order-side dashboards: products and customers, drawn from the
report service's answers (shopstack/analytics/reports/dashboards.py) and nothing else."""

from __future__ import annotations

from dataclasses import dataclass

import pycountry
from django.urls import reverse
from django.utils import timezone

from shopstack.analytics.dashboard.display import (
    Cell,
    Chart,
    Column,
    Dataset,
    Headline,
    Page,
    Section,
    Table,
)
from shopstack.analytics.dashboard.links import Links
from shopstack.analytics.dashboard.traffic import overview_headlines
from shopstack.analytics.metrics.customers import CustomerGroup, NewAndReturning
from shopstack.analytics.metrics.products import ProductRow
from shopstack.analytics.reports.dashboards import (
    customers_report,
    overview_report,
    products_report,
    segment_customers_report,
)
from shopstack.analytics.reports.query import ReportQuery

SORT_LABELS = {
    "revenue": "Revenue",
    "net_revenue": "Net revenue",
    "units": "Units",
    "orders": "Orders",
    "views": "Views",
    "cart_sessions": "Cart sessions",
    "add_to_cart_rate": "Add-to-cart rate",
    "conversion": "Conversion",
}


@dataclass(frozen=True)
class ProductOptions:
    sort: str = "revenue"
    descending: bool = True
    limit: int = 20
    offset: int = 0


PRODUCT_COLUMNS = (
    Column("Product", "text"),
    Column("Views"),
    Column("Add-to-cart rate", "rate"),
    Column("Units"),
    Column("Orders"),
    Column("Revenue", "money"),
    Column("Net revenue", "money"),
    Column("Conversion", "rate"),
    Column("Refund rate", "rate"),
    Column("Return rate", "rate"),
)


def _product_rows(rows: tuple[ProductRow, ...], links: Links) -> list[tuple[Cell, ...]]:
    return [
        (
            Cell(row.name or f"Product {row.product_id}", "text", href=links.product(row.product_id)),
            Cell(row.views),
            Cell(row.add_to_cart_rate, "rate"),
            Cell(row.units),
            Cell(row.orders),
            Cell(row.revenue_minor, "money"),
            Cell(row.net_revenue_minor, "money"),
            Cell(row.conversion, "rate"),
            Cell(row.refund_rate, "rate"),
            Cell(row.return_rate, "rate"),
        )
        for row in rows
    ]


def _product_section(
    slug: str, title: str, rows: tuple[ProductRow, ...], links: Links, **extra: str
) -> Section:
    """Products that sell little, drawn by their views and orders (their revenue is mostly nothing)."""
    top = rows[:10]
    return Section(
        slug=slug,
        title=title,
        description=extra.get("description", ""),
        chart=Chart(
            "hbar",
            [row.name or str(row.product_id) for row in top],
            [Dataset("Views", [row.views for row in top]), Dataset("Orders", [row.orders for row in top])],
        ),
        table=Table(PRODUCT_COLUMNS, _product_rows(rows, links), empty=extra.get("empty", "No product.")),
    )


def _pager(links: Links, options: ProductOptions, total: int) -> dict[str, str]:
    after = options.offset + options.limit
    return {
        "size": str(options.limit),
        "previous": links.page_url("products", offset=str(max(options.offset - options.limit, 0)))
        if options.offset
        else "",
        "next": links.page_url("products", offset=str(after)) if after < total else "",
    }


def products_page(query: ReportQuery, links: Links, options: ProductOptions) -> Page:
    overview = overview_report(query)
    report = products_report(
        query, sort=options.sort, descending=options.descending, limit=options.limit, offset=options.offset
    )
    headlines = [
        headline
        for headline in overview_headlines(overview.current, overview.previous)
        if headline.label in ("Gross revenue", "Orders", "Average order value", "Conversion rate")
    ]
    page = Page(
        headlines=headlines,
        has_data=bool(any(row.views or row.units for row in report.best)),
        note=(
            "Product revenue is before order discounts, shipping and "
            "tax, so it adds up to less than the overview."
        ),
    )
    table = report.table
    rows = table.rows
    direction = "highest" if options.descending else "lowest"
    page.sections.append(
        Section(
            slug="table",
            title=f"All products by {SORT_LABELS.get(options.sort, options.sort).lower()}, {direction} first",
            description=(
                f"Products {options.offset + 1 if rows else 0} to "
                f"{options.offset + len(rows)} of {table.total:,}."
            ),
            chart=Chart(
                "hbar",
                [row.name or str(row.product_id) for row in rows[:10]],
                [Dataset("Revenue", [row.revenue_minor for row in rows[:10]], "money")],
            ),
            table=Table(PRODUCT_COLUMNS, _product_rows(rows, links)),
            pager=_pager(links, options, table.total),
        )
    )
    page.sections.append(
        _product_section(
            "worst",
            "Worst sellers",
            report.worst,
            links,
            description="Lowest revenue first: published products that sold nothing come first.",
        )
    )
    page.sections.append(
        _product_section(
            "viewed-not-bought",
            "Viewed often, rarely bought",
            report.viewed_not_bought,
            links,
            description="At least 100 views and a conversion below 1%: check the price, photos and stock.",
            empty="None: every product viewed 100 times sold at least 1 in 100 views.",
        )
    )
    return page


def country_name(code: str) -> str:
    if code == "unknown" or not code:
        return "Unknown"
    found = pycountry.countries.get(alpha_2=code)
    return str(found.name) if found else code


def _group_rows(groups: NewAndReturning) -> list[tuple[str, CustomerGroup]]:
    return [("New", groups.new), ("Returning", groups.returning), ("Guests", groups.guests)]


def customers_page(query: ReportQuery, links: Links, segment: str = "") -> Page:
    report = customers_report(query)
    groups = report.new_and_returning
    now, before = groups.current, groups.previous

    def pair(name: str, field: str) -> tuple[int, int | None]:
        value = getattr(getattr(now, name), field)
        return value, getattr(getattr(before, name), field) if before else None

    page = Page(
        headlines=[
            Headline("New customers", "count", *pair("new", "customers")),
            Headline("Returning customers", "count", *pair("returning", "customers")),
            Headline("Revenue from returning", "money", *pair("returning", "revenue_minor")),
            Headline("Guest orders", "count", *pair("guests", "orders"), better="neutral"),
            Headline(
                "New customer share",
                "rate",
                now.new_customer_share,
                before.new_customer_share if before else None,
                better="neutral",
            ),
        ],
        has_data=bool(report.countries),
    )
    countries = report.countries
    top = countries[:12]
    page.sections.append(
        Section(
            slug="countries",
            title="Sales by country",
            description="Orders by the country they were shipped to; sessions by the country of their pages.",
            chart=Chart(
                "hbar",
                [country_name(row.country) for row in top],
                [Dataset("Revenue", [row.revenue_minor for row in top], "money")],
            ),
            table=Table(
                (
                    Column("Country", "text"),
                    Column("Sessions"),
                    Column("Orders"),
                    Column("Revenue", "money"),
                    Column("Average order value", "money"),
                ),
                [
                    (
                        Cell(
                            country_name(row.country),
                            "text",
                            href="" if row.country == "unknown" else links.narrow(country=row.country),
                            title=f"Show every page for {country_name(row.country)}",
                        ),
                        Cell(row.sessions),
                        Cell(row.orders),
                        Cell(row.revenue_minor, "money"),
                        Cell(row.average_order_minor, "money"),
                    )
                    for row in countries
                ],
            ),
        )
    )
    rows = _group_rows(now)
    previous_rows = dict(_group_rows(before)) if before else {}
    page.sections.append(
        Section(
            slug="new-returning",
            title="New and returning customers",
            description=(
                "New: no earlier order that counts. Guests have no account and cannot be recognised again."
            ),
            simulated=False,
            chart=Chart(
                "doughnut",
                [name for name, _ in rows],
                [Dataset("Revenue", [g.revenue_minor for _, g in rows], "money")],
            ),
            table=Table(
                (
                    Column("Group", "text"),
                    Column("Customers", "count"),
                    Column("Orders"),
                    Column("Revenue", "money"),
                    Column("Average order value", "money"),
                    Column("Revenue, comparison period", "money"),
                ),
                [
                    (
                        Cell(name, "text"),
                        Cell(group.customers if name != "Guests" else None),
                        Cell(group.orders),
                        Cell(group.revenue_minor, "money"),
                        Cell(group.average_order_minor, "money"),
                        Cell(previous_rows[name].revenue_minor if name in previous_rows else None, "money"),
                    )
                    for name, group in rows
                ],
            ),
        )
    )
    cohorts = report.retention
    months = max((len(cohort.returned) for cohort in cohorts), default=12)
    page.sections.append(
        Section(
            slug="retention",
            title="Cohort retention",
            description=(
                "Customers by the month of their first order; the share "
                "who ordered again in each month after it."
            ),
            simulated=False,
            chart=Chart(
                "bar",
                [cohort.month.strftime("%b %Y") for cohort in cohorts],
                [
                    Dataset(
                        "Ordered again the month after",
                        [cohort.retention[0] if cohort.retention else None for cohort in cohorts],
                        "rate",
                    )
                ],
            ),
            table=Table(
                (
                    Column("First order", "text"),
                    Column("Customers"),
                    *(Column(f"+{month}", "rate") for month in range(1, months + 1)),
                ),
                [
                    (
                        Cell(cohort.month.strftime("%b %Y"), "text"),
                        Cell(cohort.customers),
                        *(Cell(share, "rate") for share in cohort.retention),
                    )
                    for cohort in cohorts
                ],
                empty="No customer has ordered yet.",
            ),
        )
    )
    segments = report.rfm.segments
    page.sections.append(
        Section(
            slug="segments",
            title="Customer segments (RFM)",
            description="Customers scored on recency, frequency and money spent, as of the period's end.",
            simulated=False,
            chart=Chart(
                "doughnut",
                [s.name for s in segments],
                [Dataset("Customers", [s.customers for s in segments])],
            ),
            table=Table(
                (
                    Column("Segment", "text"),
                    Column("Customers"),
                    Column("Share", "rate"),
                    Column("Orders"),
                    Column("Revenue", "money"),
                    Column("Revenue per customer", "money"),
                ),
                [
                    (
                        Cell(
                            s.name,
                            "text",
                            href=links.page_url("customers", segment=s.name)
                            + "#chart-segment-customers-title",
                            title=f"List the customers in {s.name}",
                        ),
                        Cell(s.customers),
                        Cell(report.rfm.share(s.name), "rate"),
                        Cell(s.orders),
                        Cell(s.revenue_minor, "money"),
                        Cell(s.average_revenue_minor, "money"),
                    )
                    for s in segments
                ],
            ),
        )
    )
    if segment:
        page.sections.append(_segment_section(query, links, segment))
    bands = report.age_bands
    page.sections.append(
        Section(
            slug="age-bands",
            title="Age bands",
            description=(
                "From customers' profiles, given with consent; guests and customers without one are unknown."
            ),
            chart=Chart(
                "bar",
                [b.age_band for b in bands],
                [Dataset("Revenue", [b.revenue_minor for b in bands], "money")],
            ),
            table=Table(
                (
                    Column("Age band", "text"),
                    Column("Customers"),
                    Column("Orders"),
                    Column("Revenue", "money"),
                    Column("Conversion (signed-in sessions)", "rate"),
                ),
                [
                    (
                        Cell(b.age_band, "text"),
                        Cell(b.customers),
                        Cell(b.orders),
                        Cell(b.revenue_minor, "money"),
                        Cell(b.conversion_rate, "rate"),
                    )
                    for b in bands
                ],
            ),
        )
    )
    return page


def _segment_section(query: ReportQuery, links: Links, segment: str) -> Section:
    """The customers behind a segment's count, the highest revenue first."""
    found = segment_customers_report(query, segment)
    shown = len(found.customers)
    return Section(
        slug="segment-customers",
        title=f"Customers in {segment}",
        description=(
            f"{shown:,} of {found.total:,}, the highest revenue first; each opens the customer's account."
        ),
        simulated=False,
        table=Table(
            (
                Column("Customer", "text"),
                Column("Orders"),
                Column("Revenue", "money"),
                Column("Last order", "text"),
            ),
            [
                (
                    Cell(
                        f"Customer {row.customer_id}",
                        "text",
                        href=reverse("admin:accounts_user_change", args=[row.customer_id]),
                    ),
                    Cell(row.orders),
                    Cell(row.revenue_minor, "money"),
                    Cell(f"{timezone.localtime(row.last_order_at):%Y-%m-%d %H:%M}", "text"),
                )
                for row in found.customers
            ],
            empty="No customer in this segment.",
        ),
    )
