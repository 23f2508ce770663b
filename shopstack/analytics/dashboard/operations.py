"""The operations dashboards: fulfilment (with its late orders) and inventory, drawn from
the report service's answers (shopstack/analytics/reports/dashboards.py) and nothing else."""

from __future__ import annotations

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
from shopstack.analytics.metrics.fulfilment import FulfilmentGroup
from shopstack.analytics.metrics.inventory import Inventory, ProductStock
from shopstack.analytics.reports.dashboards import (
    fulfilment_report,
    inventory_report,
    late_orders_report,
)
from shopstack.analytics.reports.query import COMPARE_NONE, ReportQuery


def _late_section(query: ReportQuery) -> Section:
    """The orders behind the late shipment count, the oldest first."""
    found = late_orders_report(query)
    return Section(
        slug="late-orders",
        title="Late and overdue orders",
        description=(
            f"{len(found.orders):,} of {found.total:,}, the oldest first: shipped later than the method "
            "promises, or not shipped and past the promise. Each opens the order."
        ),
        simulated=False,
        table=Table(
            (
                Column("Order", "text"),
                Column("Placed", "text"),
                Column("Carrier", "text"),
                Column("Shipping method", "text"),
                Column("Promised (working days)"),
                Column("Shipped after (working days)"),
            ),
            [
                (
                    Cell(
                        f"Order {row.order_id}",
                        "text",
                        href=reverse("admin:orders_order_change", args=[row.order_id]),
                    ),
                    Cell(f"{timezone.localtime(row.placed_at):%Y-%m-%d %H:%M}", "text"),
                    Cell(row.carrier or "unknown", "text"),
                    Cell(row.shipping_method or "unknown", "text"),
                    Cell(row.promised_days),
                    Cell(row.shipped_days if row.shipped_days is not None else "not shipped", "text"),
                )
                for row in found.orders
            ],
            empty="No order shipped late or is overdue.",
        ),
    )


BREAKDOWNS = (
    ("carriers", "By carrier", "Carrier", "by_carrier"),
    ("methods", "By shipping method", "Shipping method", "by_shipping_method"),
    ("zones", "By shipping zone", "Zone", "by_zone"),
    ("warehouses", "By warehouse", "Warehouse", "by_warehouse"),
)

GROUP_COLUMNS = (
    Column("Orders"),
    Column("Time to ship (median)", "duration"),
    Column("Time to ship (p95)", "duration"),
    Column("Time to deliver (median)", "duration"),
    Column("Late shipments"),
    Column("Overdue, not shipped"),
    Column("Late rate", "rate"),
    Column("Late deliveries"),
    Column("Shipping charged", "money"),
)


def _group_cells(group: FulfilmentGroup) -> tuple[Cell, ...]:
    return (
        Cell(group.orders),
        Cell(group.shipped.p50_seconds, "duration"),
        Cell(group.shipped.p95_seconds, "duration"),
        Cell(group.delivered.p50_seconds, "duration"),
        Cell(group.late_shipments),
        Cell(group.overdue_unshipped),
        Cell(group.late_shipment_rate, "rate"),
        Cell(group.late_deliveries),
        Cell(group.shipping_charged_minor, "money"),
    )


def fulfilment_page(query: ReportQuery, links: Links) -> Page:
    report = fulfilment_report(query)
    now = report.current.overall
    before = report.previous.overall if report.previous else None

    def pair(getter: str) -> tuple[float | int | None, float | int | None]:
        def read(group: FulfilmentGroup) -> float | int | None:
            value: object = group
            for part in getter.split("."):
                value = getattr(value, part)
            return value if isinstance(value, int | float) else None

        return read(now), read(before) if before else None

    page = Page(
        headlines=[
            Headline("Orders to fulfil", "count", *pair("orders"), better="neutral"),
            Headline("Time to pay (median)", "duration", *pair("paid.p50_seconds"), better="down"),
            Headline("Time to ship (median)", "duration", *pair("shipped.p50_seconds"), better="down"),
            Headline("Time to deliver (median)", "duration", *pair("delivered.p50_seconds"), better="down"),
            Headline("Late shipment rate", "rate", *pair("late_shipment_rate"), better="down"),
            Headline("Shipping charged", "money", *pair("shipping_charged_minor"), better="neutral"),
        ],
        has_data=bool(now.orders),
    )
    stages = (("Paid", now.paid), ("Shipped", now.shipped), ("Delivered", now.delivered))
    page.sections.append(
        Section(
            slug="lead-times",
            title="Time from order to payment, shipping and delivery",
            description="Median and 95th percentile over the orders that reached each stage.",
            simulated=False,
            chart=Chart(
                "bar",
                [name for name, _ in stages],
                [
                    Dataset("Median", [time.p50_seconds for _, time in stages], "duration"),
                    Dataset("95th percentile", [time.p95_seconds for _, time in stages], "duration"),
                ],
            ),
            table=Table(
                (
                    Column("Stage", "text"),
                    Column("Orders"),
                    Column("Median", "duration"),
                    Column("95th percentile", "duration"),
                ),
                [
                    (
                        Cell(name, "text"),
                        Cell(time.orders),
                        Cell(time.p50_seconds, "duration"),
                        Cell(time.p95_seconds, "duration"),
                    )
                    for name, time in stages
                ],
            ),
        )
    )
    page.sections.append(_late_section(query))
    for slug, title, label, attribute in BREAKDOWNS:
        groups: dict[str, FulfilmentGroup] = getattr(report.current, attribute)
        ordered = sorted(groups.items(), key=lambda item: (-item[1].orders, item[0]))
        page.sections.append(
            Section(
                slug=slug,
                title=title,
                simulated=False,
                chart=Chart(
                    "hbar",
                    [key for key, _ in ordered[:12]],
                    [
                        Dataset(
                            "Time to ship (median)",
                            [group.shipped.p50_seconds for _, group in ordered[:12]],
                            "duration",
                        )
                    ],
                ),
                table=Table(
                    (Column(label, "text"), *GROUP_COLUMNS),
                    [(Cell(key, "text"), *_group_cells(group)) for key, group in ordered],
                ),
            )
        )
    return page


STOCK_COLUMNS = (
    Column("Product", "text"),
    Column("Available"),
    Column("Sold, last 28 days"),
    Column("Days of cover", "days"),
    Column("Days out of stock"),
    Column("Lost sales (estimate)", "money"),
)


def _stock_rows(products: list[ProductStock], links: Links) -> list[tuple[Cell, ...]]:
    return [
        (
            Cell(row.name or f"Product {row.product_id}", "text", href=links.product(row.product_id)),
            Cell(row.available),
            Cell(row.units_sold_recently),
            Cell(row.cover_days, "days"),
            Cell(row.out_of_stock_days),
            Cell(row.lost_sales_minor, "money"),
        )
        for row in products
    ]


def _lost(inventory: Inventory) -> float | None:
    """The lost sales that can be estimated; None when products ran out but none can be
    (out of stock on every snapshot day: no rate of sale to go by), rather than a false £0."""
    estimates = [row.lost_sales_minor for row in inventory.products if row.out_of_stock_days]
    known = [value for value in estimates if value is not None]
    if estimates and not known:
        return None
    return sum(known)


def inventory_page(query: ReportQuery, links: Links) -> Page:
    report = inventory_report(query)
    comparison = query.comparison
    before = (
        inventory_report(ReportQuery(period=comparison, compare=COMPARE_NONE, range="custom"))
        if comparison is not None
        else None
    )
    status = report.status
    if before is not None and before.status.snapshot_day is None:
        before = None  # no snapshot to compare with: nothing is "new"
    old = before.status if before else None
    page = Page(
        headlines=[
            Headline("Variants in stock", "count", status.in_stock, old.in_stock if old else None),
            Headline("Low on stock", "count", status.low, old.low if old else None, better="down"),
            Headline(
                "Out of stock", "count", status.out_of_stock, old.out_of_stock if old else None, better="down"
            ),
            Headline(
                "Lost sales (estimate)",
                "money",
                _lost(report),
                _lost(before) if before else None,
                better="down",
            ),
        ],
        has_data=status.snapshot_day is not None,
        note=(
            f"Stock as of the snapshot of {status.snapshot_day.day} {status.snapshot_day:%b %Y}."
            if status.snapshot_day
            else "No stock snapshot in this period."
        ),
    )
    counts = (("In stock", status.in_stock), ("Low", status.low), ("Out of stock", status.out_of_stock))
    page.sections.append(
        Section(
            slug="status",
            title="Stock status of variants",
            simulated=False,
            chart=Chart(
                "doughnut",
                [name for name, _ in counts],
                [Dataset("Variants", [count for _, count in counts])],
                colours=["good", "warning", "bad"],
            ),
            table=Table(
                (Column("Status", "text"), Column("Variants")),
                [(Cell(n, "text"), Cell(c)) for n, c in counts],
            ),
        )
    )
    selling = [row for row in report.products if row.cover_days is not None]
    selling.sort(key=lambda row: (row.cover_days or 0, row.product_id))
    page.sections.append(
        Section(
            slug="cover",
            title="Running out soonest",
            description=(
                "Days the stock lasts at the rate of the last 28 days' "
                "sales; products that sold nothing are left out."
            ),
            simulated=False,
            chart=Chart(
                "hbar",
                [row.name for row in selling[:12]],
                [Dataset("Days of cover", [row.cover_days for row in selling[:12]], "days")],
            ),
            table=Table(
                STOCK_COLUMNS, _stock_rows(selling, links), empty="No product sold in the last 28 days."
            ),
        )
    )
    out = [row for row in report.products if row.out_of_stock_days]
    out.sort(key=lambda row: (-(row.lost_sales_minor or 0), -row.out_of_stock_days, row.product_id))
    page.sections.append(
        Section(
            slug="out-of-stock",
            title="Out of stock in the period",
            description=(
                "Lost sales assume demand on days out of stock was like demand on days in stock, "
                "at today's price; blank when never in stock to tell."
            ),
            simulated=False,
            chart=Chart(
                "hbar",
                [row.name for row in out[:12]],
                [Dataset("Lost sales (estimate)", [row.lost_sales_minor for row in out[:12]], "money")],
            ),
            table=Table(STOCK_COLUMNS, _stock_rows(out, links), empty="Nothing ran out in this period."),
        )
    )
    return page
