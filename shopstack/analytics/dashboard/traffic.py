"""The visitor-side dashboards: overview, funnel, search and campaigns, drawn from the
report service's answers (shopstack/analytics/reports/dashboards.py) and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

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
from shopstack.analytics.metrics.campaigns import Source
from shopstack.analytics.metrics.funnel import Funnel
from shopstack.analytics.metrics.overview import Day, Overview
from shopstack.analytics.metrics.search import Query, Search
from shopstack.analytics.reports.dashboards import (
    campaigns_report,
    funnel_report,
    overview_report,
    search_report,
)
from shopstack.analytics.reports.query import CHANNELS, COMPARE_NONE, DEVICES, ReportQuery
from shopstack.catalog.selectors import category_tree

# Longer periods are drawn and listed by week: a year of days is no table to read.
DAILY_UP_TO = 92


def overview_headlines(current: Overview, previous: Overview | None) -> list[Headline]:
    def pair(name: str) -> tuple[float | int | None, float | int | None]:
        return getattr(current, name), getattr(previous, name) if previous else None

    def traffic(name: str) -> tuple[float | int | None, float | int | None]:
        return getattr(current.traffic, name), getattr(previous.traffic, name) if previous else None

    time_now, time_before = traffic("time_per_session_ms")
    return [
        Headline("Gross revenue", "money", *pair("gross_minor")),
        Headline("Net revenue", "money", *pair("net_minor"), note="less refunds"),
        Headline("Orders", "count", *pair("orders")),
        Headline("Average order value", "money", *pair("average_order_minor")),
        Headline("Conversion rate", "rate", *pair("conversion_rate")),
        Headline("Sessions", "count", *traffic("sessions")),
        Headline("Visitors", "count", *traffic("visitors")),
        Headline("Bounce rate", "rate", *traffic("bounce_rate"), better="down"),
        Headline(
            "Time per session",
            "duration",
            None if time_now is None else time_now / 1000,
            None if time_before is None else time_before / 1000,
            better="neutral",
        ),
        Headline("Returning customers", "count", *pair("returning_customers")),
    ]


def _buckets(days: tuple[Day, ...]) -> list[tuple[str, Day]]:
    """The series by day, or by week (Monday first) for a long period."""
    if len(days) <= DAILY_UP_TO:
        return [(day.day.isoformat(), day) for day in days]
    weeks: dict[date, Day] = {}
    for day in days:
        monday = day.day - timedelta(days=day.day.weekday())
        found = weeks.get(monday)
        weeks[monday] = (
            day
            if found is None
            else Day(
                day=monday,
                sessions=found.sessions + day.sessions,
                orders=found.orders + day.orders,
                gross_minor=found.gross_minor + day.gross_minor,
                refunded_minor=found.refunded_minor + day.refunded_minor,
            )
        )
    return [(f"week of {monday.isoformat()}", day) for monday, day in weeks.items()]


def _series_section(current: Overview, previous: Overview | None) -> Section:
    buckets = _buckets(current.days)
    before = _buckets(previous.days) if previous else []
    weekly = len(current.days) > DAILY_UP_TO
    datasets = [
        Dataset("Gross revenue", [day.gross_minor for _, day in buckets], "money"),
        Dataset("Orders", [day.orders for _, day in buckets], "count", axis="y2"),
    ]
    if before:
        # The comparison period's revenue on the same position in its own period.
        values: list[float | int | None] = [day.gross_minor for _, day in before][: len(buckets)]
        datasets.append(Dataset("Gross revenue, comparison period", values, "money"))
    rows = [
        (
            Cell(label, "text"),
            Cell(day.sessions),
            Cell(day.orders),
            Cell(day.gross_minor, "money"),
            Cell(day.net_minor, "money"),
        )
        for label, day in buckets
    ]
    return Section(
        slug="days",
        title="Revenue and orders by week" if weekly else "Revenue and orders by day",
        description=(
            "Orders and revenue on the day they were placed; sessions on the day of their first page."
        ),
        chart=Chart("line", [label for label, _ in buckets], datasets),
        table=Table(
            (
                Column("Week" if weekly else "Day", "text"),
                Column("Sessions"),
                Column("Orders"),
                Column("Gross revenue", "money"),
                Column("Net revenue", "money"),
            ),
            rows,
        ),
    )


@dataclass(frozen=True)
class Split:
    """Rows that each narrow the overview by one value of a filter."""

    title: str
    param: str  # the query parameter a row's link sets
    field: str  # the Filters field it narrows
    choices: dict[str, str]  # value -> label
    description: str = ""


def _split_section(query: ReportQuery, links: Links, slug: str, split: Split) -> Section:
    """One row per device, channel or category: the overview asked again, narrowed by it."""
    values: list[tuple[str, str, Overview]] = []
    for value, label in split.choices.items():
        narrowed = _narrowed(query, **{split.field: int(value) if split.field == "category_id" else value})
        values.append((value, label, overview_report(narrowed).current))
    rows = [
        (
            Cell(
                label, "text", href=links.narrow(**{split.param: value}), title=f"Show every page for {label}"
            ),
            Cell(report.traffic.sessions),
            Cell(report.conversion_rate, "rate"),
            Cell(report.orders),
            Cell(report.gross_minor, "money"),
        )
        for value, label, report in values
    ]
    return Section(
        slug=slug,
        title=split.title,
        description=split.description,
        chart=Chart(
            "bar",
            [label for _, label, _ in values],
            [
                Dataset("Sessions", [report.traffic.sessions for _, _, report in values]),
                Dataset("Gross revenue", [report.gross_minor for _, _, report in values], "money", axis="y2"),
            ],
        ),
        table=Table(
            (
                Column(split.param.capitalize(), "text"),
                Column("Sessions"),
                Column("Conversion rate", "rate"),
                Column("Orders"),
                Column("Gross revenue", "money"),
            ),
            rows,
        ),
    )


def _narrowed(query: ReportQuery, **filters: object) -> ReportQuery:
    period = replace(query.period, filters=replace(query.period.filters, **filters))
    return ReportQuery(period=period, compare=COMPARE_NONE, range=query.range)


NO_VISIT = "Orders placed without a tracked visit (imports, the API) have no device and count as web."


def _splits(query: ReportQuery) -> dict[str, Split]:
    """The splits this question can still be narrowed by (a filter already on has none)."""
    filters = query.period.filters
    found = {}
    if not filters.device:
        found["devices"] = Split("By device", "device", "device", DEVICES, NO_VISIT)
    if not filters.channel:
        found["channels"] = Split("By channel", "channel", "channel", CHANNELS, NO_VISIT)
    categories = _category_rows(filters.category_id)
    if categories:
        found["categories"] = Split(
            "By category",
            "category",
            "category_id",
            categories,
            "Sessions that looked at the category or a product in it; orders with a line in it.",
        )
    return found


def _category_rows(category_id: int | None) -> dict[str, str]:
    """Top-level categories, or the children of the category filtered by."""
    tree = category_tree()
    if category_id is None:
        return {str(top.pk): top.name for top, _ in tree}
    return {
        str(child.pk): child.name for top, children in tree if top.pk == category_id for child in children
    }


def overview_page(query: ReportQuery, links: Links) -> Page:
    report = overview_report(query)
    current, previous = report.current, report.previous
    page = Page(headlines=overview_headlines(current, previous))
    page.has_data = bool(current.traffic.sessions or current.orders)
    page.sections.append(_series_section(current, previous))
    # Each split asks the overview once per row: computed apart from the page (dashboards.js
    # fetches them), so the page itself waits only for its own report.
    page.deferred = [(slug, split.title) for slug, split in _splits(query).items()]
    return page


def overview_part(query: ReportQuery, links: Links, slug: str) -> Section | None:
    split = _splits(query).get(slug)
    return None if split is None else _split_section(query, links, slug, split)


STEP_LABELS = {
    "session": "Visited",
    "product_view": "Viewed a product",
    "cart_add": "Added to cart",
    "checkout_begin": "Reached checkout",
    "checkout_address": "Gave an address",
    "checkout_shipping": "Chose shipping",
    "checkout_payment": "Reached payment",
    "checkout_review": "Reviewed the order",
    "order_placed": "Placed an order",
    "paid": "Paid",
}


def _funnel_headlines(current: Funnel, previous: Funnel | None) -> list[Headline]:
    def share(name: str) -> tuple[float | None, float | None]:
        return current.share(name), previous.share(name) if previous else None

    def sessions(name: str) -> tuple[int, int | None]:
        return current.step(name).sessions, previous.step(name).sessions if previous else None

    return [
        Headline("Sessions", "count", *sessions("session")),
        Headline("Viewed a product", "rate", *share("product_view")),
        Headline("Added to cart", "rate", *share("cart_add")),
        Headline("Reached checkout", "rate", *share("checkout_begin")),
        Headline("Placed an order", "rate", *share("order_placed")),
        Headline("Paid", "count", *sessions("paid")),
        Headline(
            "Abandoned carts",
            "count",
            current.abandoned_carts,
            previous.abandoned_carts if previous else None,
            better="down",
        ),
        Headline(
            "Left in abandoned carts",
            "money",
            current.abandoned_cart_minor,
            previous.abandoned_cart_minor if previous else None,
            better="down",
        ),
    ]


def funnel_page(query: ReportQuery, links: Links) -> Page:
    report = funnel_report(query)
    current, previous = report.current, report.previous
    page = Page(headlines=_funnel_headlines(current, previous), has_data=bool(current.steps[0].sessions))
    labels = [STEP_LABELS.get(step.name, step.name) for step in current.steps]
    datasets = [Dataset("Sessions", [step.sessions for step in current.steps])]
    if previous:
        datasets.append(Dataset("Sessions, comparison period", [step.sessions for step in previous.steps]))
    rows = []
    for index, step in enumerate(current.steps):
        before = previous.steps[index].sessions if previous else None
        rows.append(
            (
                Cell(labels[index], "text"),
                Cell(step.sessions),
                Cell(current.share(step.name), "rate"),
                Cell(step.abandoned if step.previous is not None else None),
                Cell(step.abandonment_rate, "rate"),
                Cell(before),
            )
        )
    page.sections.append(
        Section(
            slug="steps",
            title="Checkout funnel",
            description=(
                "A session counts at a step only if it reached every step before it. "
                "Dropped: sessions that reached the step before but not this one."
            ),
            chart=Chart("hbar", labels, datasets),
            table=Table(
                (
                    Column("Step", "text"),
                    Column("Sessions"),
                    Column("Of all sessions", "rate"),
                    Column("Dropped"),
                    Column("Drop-off rate", "rate"),
                    Column("Sessions, comparison period"),
                ),
                rows,
            ),
        )
    )
    return page


def _query_rows(queries: tuple[Query, ...]) -> list[tuple[Cell, ...]]:
    return [
        (
            Cell(row.query, "text"),
            Cell(row.searches),
            Cell(row.sessions),
            Cell(row.zero_result_searches),
            Cell(row.clicks),
            Cell(row.click_through, "rate"),
        )
        for row in queries
    ]


QUERY_COLUMNS = (
    Column("Query", "text"),
    Column("Searches"),
    Column("Sessions"),
    Column("Found nothing"),
    Column("Clicks"),
    Column("Click-through", "rate"),
)


def _search_headlines(current: Search, previous: Search | None) -> list[Headline]:
    def pair(name: str) -> tuple[float | int | None, float | int | None]:
        return getattr(current, name), getattr(previous, name) if previous else None

    return [
        Headline("Searches", "count", *pair("searches")),
        Headline("Sessions with a search", "count", *pair("search_sessions")),
        Headline("Click-through", "rate", *pair("click_through")),
        Headline("Found nothing", "rate", *pair("zero_result_rate"), better="down"),
        Headline("Search-to-purchase", "rate", *pair("conversion_rate")),
    ]


def search_page(query: ReportQuery, links: Links) -> Page:
    report = search_report(query)
    current = report.current
    page = Page(headlines=_search_headlines(current, report.previous), has_data=bool(current.searches))
    top = current.top_queries
    page.sections.append(
        Section(
            slug="top-queries",
            title="Top searches",
            chart=Chart(
                "hbar",
                [row.query for row in top],
                [
                    Dataset("Searches", [row.searches for row in top]),
                    Dataset("Clicks", [row.clicks for row in top]),
                ],
            ),
            table=Table(QUERY_COLUMNS, _query_rows(top)),
        )
    )
    zero = current.zero_result_queries
    page.sections.append(
        Section(
            slug="zero-results",
            title="Searches that found nothing",
            description="Words shoppers use that the catalogue has no product for: candidates for aliases.",
            chart=Chart(
                "hbar",
                [row.query for row in zero],
                [Dataset("Found nothing", [row.zero_result_searches for row in zero])],
            ),
            table=Table(QUERY_COLUMNS, _query_rows(zero), empty="Every search found something."),
        )
    )
    return page


ORIGINS = {
    "campaign": "Campaign",
    "direct": "Direct",
    "search": "Search engine",
    "social": "Social",
    "referral": "Referral",
}


def source_label(source: Source) -> str:
    if source.origin == "direct":
        return "Direct"
    if source.origin == "campaign":
        tags = [part for part in (source.source, source.medium, source.campaign) if part]
        return " / ".join(tags) or "Campaign"
    return f"{source.source} ({ORIGINS.get(source.origin, source.origin).lower()})"


def campaigns_page(query: ReportQuery, links: Links) -> Page:
    report = campaigns_report(query)
    current, previous = report.current, report.previous

    def totals(which: object) -> tuple[int, int, int, int]:
        if which is None:
            return (0, 0, 0, 0)
        rows = which.by_session  # type: ignore[attr-defined]
        spend = sum(row.cost_minor for row in which.attributed)  # type: ignore[attr-defined]
        tagged = sum(row.sessions for row in rows if row.source.origin != "direct")
        attributed = sum(row.gross_minor for row in which.attributed if row.source.origin != "direct")  # type: ignore[attr-defined]
        return sum(row.sessions for row in rows), tagged, spend, attributed

    now, before = totals(current), totals(previous) if previous else None
    page = Page(
        headlines=[
            Headline("Sessions", "count", now[0], before[0] if before else None),
            Headline("From campaigns and other sites", "count", now[1], before[1] if before else None),
            Headline("Revenue credited to them", "money", now[3], before[3] if before else None),
            Headline("Ad spend", "money", now[2], before[2] if before else None, better="neutral"),
            Headline(
                "Return on ad spend",
                "ratio",
                now[3] / now[2] if now[2] else None,
                (before[3] / before[2] if before[2] else None) if before else None,
            ),
        ],
        has_data=bool(current.by_session or current.attributed),
    )
    by_session = current.by_session[:20]
    page.sections.append(
        Section(
            slug="sources",
            title="Sessions by source",
            description=(
                "Each session is credited to its first page: its campaign tags, else where it came from."
            ),
            chart=Chart(
                "hbar",
                [source_label(row.source) for row in by_session[:12]],
                [Dataset("Sessions", [row.sessions for row in by_session[:12]])],
            ),
            table=Table(
                (
                    Column("Source", "text"),
                    Column("Type", "text"),
                    Column("Sessions"),
                    Column("Orders"),
                    Column("Revenue", "money"),
                    Column("Conversion rate", "rate"),
                ),
                [
                    (
                        Cell(source_label(row.source), "text"),
                        Cell(ORIGINS.get(row.source.origin, row.source.origin), "text"),
                        Cell(row.sessions),
                        Cell(row.orders),
                        Cell(row.gross_minor, "money"),
                        Cell(row.conversion_rate, "rate"),
                    )
                    for row in current.by_session
                ],
            ),
        )
    )
    attributed = current.attributed
    page.sections.append(
        Section(
            slug="attributed",
            title="Orders credited to the last campaign or site (last non-direct click)",
            description="Cost comes from the imported ad spend (manage.py analytics_import_ad_spend).",
            simulated=True,
            chart=Chart(
                "hbar",
                [source_label(row.source) for row in attributed[:12]],
                [Dataset("Gross revenue", [row.gross_minor for row in attributed[:12]], "money")],
            ),
            table=Table(
                (
                    Column("Source", "text"),
                    Column("Orders"),
                    Column("Gross revenue", "money"),
                    Column("Net revenue", "money"),
                    Column("Ad spend", "money"),
                    Column("Cost per order", "money"),
                    Column("Return on ad spend", "ratio"),
                ),
                [
                    (
                        Cell(source_label(row.source), "text"),
                        Cell(row.orders),
                        Cell(row.gross_minor, "money"),
                        Cell(row.net_minor, "money"),
                        Cell(row.cost_minor, "money"),
                        Cell(row.cost_per_order_minor, "money"),
                        Cell(row.return_on_ad_spend, "ratio"),
                    )
                    for row in attributed
                ],
            ),
        )
    )
    return page
