"""The staff dashboards under /admin/analytics/: read the question (report_query, and the
products table's options), call the report service, and lay out what it answers.

Every view here is wrapped by the admin site (staff only: others go to its sign-in) and
asks for `analytics.view_analytics` (403 without it)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shopstack.analytics.dashboard import commerce, operations, traffic
from shopstack.analytics.dashboard.commerce import SORT_LABELS, ProductOptions
from shopstack.analytics.dashboard.display import Page, Section
from shopstack.analytics.dashboard.links import Links
from shopstack.analytics.dashboard.status import (
    category_choices,
    country_choices,
    freshness,
    overlaps,
    simulated_days,
    simulated_range,
)
from shopstack.analytics.reports.dashboards import DASHBOARDS, PRODUCT_PAGE_SIZES, product_options
from shopstack.analytics.reports.query import (
    CHANNELS,
    COMPARISONS,
    CUSTOM,
    DEVICES,
    RANGES,
    ReportQuery,
    report_query,
)
from shopstack.analytics.tasks import warehouse_events_compact
from shopstack.core.admin_utils import csv_response
from shopstack.core.errors import ValidationFailed

PERMISSION = "analytics.view_analytics"

TITLES = {
    "overview": "Overview",
    "funnel": "Funnel",
    "products": "Products",
    "search": "Search",
    "campaigns": "Campaigns",
    "customers": "Customers",
    "fulfilment": "Fulfilment",
    "inventory": "Inventory",
}
QUERY_FIELDS = ("range", "start", "end", "compare", "country", "category", "channel", "device")
PRODUCT_FIELDS = ("sort", "direction", "limit", "offset")

View = Callable[..., HttpResponse]


def staff_view(view: View) -> View:
    """Staff of the admin site with the analytics permission (superusers have it)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return admin.site.admin_view(checked)


def _build(page: str, query: ReportQuery, links: Links, options: ProductOptions) -> Page:
    if page == "products":
        return commerce.products_page(query, links, options)
    if page == "customers":
        return commerce.customers_page(query, links, links.extra.get("segment", ""))
    builders: dict[str, Callable[[ReportQuery, Links], Page]] = {
        "overview": traffic.overview_page,
        "funnel": traffic.funnel_page,
        "search": traffic.search_page,
        "campaigns": traffic.campaigns_page,
        "customers": commerce.customers_page,
        "fulfilment": operations.fulfilment_page,
        "inventory": operations.inventory_page,
    }
    return builders[page](query, links)


def _question(request: HttpRequest, page: str) -> tuple[ReportQuery, ProductOptions, dict[str, str]]:
    """The report and table options asked for; ValidationFailed names every bad field."""
    params = {name: request.GET.get(name, "") for name in QUERY_FIELDS}
    errors: dict[str, list[str]] = {}
    query: ReportQuery | None = None
    try:
        query = report_query(params)
    except ValidationFailed as error:
        errors.update(error.fields)
    options, extra = ProductOptions(), {}
    if page == "products":
        raw = {name: request.GET.get(name, "") for name in PRODUCT_FIELDS}
        try:
            sort, descending, limit, offset = product_options(
                raw["sort"] or "revenue",
                raw["direction"] or "desc",
                raw["limit"] or PRODUCT_PAGE_SIZES[0],
                raw["offset"] or 0,
            )
        except ValidationFailed as error:
            errors.update(error.fields)
        else:
            options = ProductOptions(sort, descending, limit, offset)
            extra = {key: value for key, value in raw.items() if value}
    if page == "customers" and request.GET.get("segment"):
        extra = {"segment": request.GET["segment"]}  # checked by the report service
    if errors or query is None:
        raise ValidationFailed("The report's parameters are not valid.", fields=errors)
    return query, options, extra


def _form_values(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET.get(name, "") for name in (*QUERY_FIELDS, *PRODUCT_FIELDS)}


def _chrome(request: HttpRequest, page: str, title: str) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": f"{title} · Analytics",
        "dashboard_title": title,
        "page_name": page,
        "ranges": [(key, label) for key, (label, _) in RANGES.items()],
        "custom": CUSTOM,
        "comparisons": list(COMPARISONS.items()),
        "countries": country_choices(),
        "categories": category_choices(),
        "channels": list(CHANNELS.items()),
        "devices": list(DEVICES.items()),
        "freshness": freshness(),
        "compact_url": reverse("dashboards:compact"),
    }


@staff_view
def dashboard_index(request: HttpRequest) -> HttpResponse:
    target = reverse("dashboards:page", args=["overview"])
    query = request.GET.urlencode()
    return HttpResponseRedirect(f"{target}?{query}" if query else target)


@staff_view
def dashboard_page(request: HttpRequest, page: str) -> HttpResponse:
    if page not in DASHBOARDS:
        raise Http404("No such dashboard.")
    context = _chrome(request, page, TITLES[page])
    values = _form_values(request)
    try:
        query, options, extra = _question(request, page)
        links = Links(page=page, params=query.params(), extra=extra)
        report = _build(page, query, links, options)
    except ValidationFailed as error:
        # The question is refused as asked: the errors by field, and no report in its place.
        context |= {
            "errors": error.fields,
            "values": values,
            "nav": [(name, TITLES[name], reverse("dashboards:page", args=[name])) for name in DASHBOARDS],
        }
        return TemplateResponse(request, "admin/analytics/dashboard.html", context, status=400)
    params = query.params()
    simulated = simulated_days()
    comparison = query.comparison
    if query.range != CUSTOM:
        # The picker shows a preset's dates; they are not sent back (range or dates, not both).
        values |= {"start": "", "end": ""}
    context |= {
        "query": query,
        "report": report,
        "values": {**values, "range": query.range, "compare": query.compare, **params},
        "links": links,
        "nav": [(name, TITLES[name], links.page_url(name)) for name in DASHBOARDS],
        "period": query.period,
        "comparison": comparison,
        "active_filters": _active_filters(query, links),
        "simulated": simulated if overlaps(simulated, query.period, comparison) else None,
        "simulated_link": links.page_url(page, range=CUSTOM, **simulated_range(simulated))
        if simulated
        else "",
        "sections": [
            (section, links.export(section.slug), f"chart-{section.slug}") for section in report.sections
        ],
        "deferred": [(slug, title, links.part(slug), links.export(slug)) for slug, title in report.deferred],
        "product_sorts": list(SORT_LABELS.items()),
        "product_sizes": PRODUCT_PAGE_SIZES,
    }
    return TemplateResponse(request, "admin/analytics/dashboard.html", context)


def _active_filters(query: ReportQuery, links: Links) -> list[tuple[str, str, str]]:
    """(what, value shown, address without it) for each filter on."""
    filters = query.period.filters
    found = []
    if filters.country:
        names = dict(country_choices())
        found.append(
            ("Country", names.get(filters.country, filters.country), links.filter_removed("country"))
        )
    if filters.category_id:
        names = {pk: name.lstrip("— ") for pk, name in category_choices()}
        found.append(
            (
                "Category",
                names.get(filters.category_id, str(filters.category_id)),
                links.filter_removed("category"),
            )
        )
    if filters.channel:
        found.append(("Channel", CHANNELS[filters.channel], links.filter_removed("channel")))
    if filters.device:
        found.append(("Device", DEVICES[filters.device], links.filter_removed("device")))
    return found


@staff_view
def dashboard_export(request: HttpRequest, page: str, section: str) -> HttpResponse:
    """One section's table as CSV, for the same question as the page."""
    if page not in DASHBOARDS:
        raise Http404("No such dashboard.")
    try:
        query, options, extra = _question(request, page)
    except ValidationFailed as error:
        lines = [f"{name}: {message}" for name, found in error.fields.items() for message in found]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    links = Links(page=page, params=query.params(), extra=extra)
    try:
        found = _section(page, query, links, options, section)
    except ValidationFailed as error:
        lines = [f"{name}: {message}" for name, found in error.fields.items() for message in found]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    period = query.period
    name = f"{page}-{section}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    rows = ([cell.csv for cell in row] for row in found.table.rows)
    return csv_response(name, found.table.header(), rows)


def _section(page: str, query: ReportQuery, links: Links, options: ProductOptions, slug: str) -> Section:
    found = _build(page, query, links, options).section(slug)
    if found is None and page == "overview":
        found = traffic.overview_part(query, links, slug)
    if found is None:
        raise Http404("No such table.")
    return found


@staff_view
def dashboard_part(request: HttpRequest, page: str, section: str) -> HttpResponse:
    """A section computed apart from its page (the overview's split by device and channel),
    as HTML for dashboards.js to put in place."""
    if page != "overview":
        raise Http404("No such part.")
    try:
        query, _options, _extra = _question(request, page)
    except ValidationFailed as error:
        lines = [f"{name}: {message}" for name, found in error.fields.items() for message in found]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    links = Links(page=page, params=query.params())
    found = traffic.overview_part(query, links, section)
    if found is None:
        raise Http404("No such part.")
    simulated = simulated_days()
    context = {
        "section": found,
        "export_url": links.export(section),
        "chart_id": f"chart-{section}",
        "simulated": simulated if overlaps(simulated, query.period, query.comparison) else None,
    }
    return TemplateResponse(request, "admin/analytics/_section.html", context)


@require_POST
@staff_view
def compact_now(request: HttpRequest) -> HttpResponse:
    """Queue a compaction of the waiting events and come back: the worker does it, the
    page never waits for it."""
    warehouse_events_compact.enqueue()
    messages.success(
        request,
        f"Compaction queued at {timezone.localtime():%H:%M}: waiting events reach the dashboards "
        "when the task worker has run it (reload in a minute).",
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("dashboards:page", args=["overview"])
    return HttpResponseRedirect(back)
