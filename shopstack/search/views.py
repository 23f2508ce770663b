"""The storefront's search pages: results with facets (/search/), autocomplete
(/search/suggest/, an htmx fragment) and the result link that records a click.

Every page works without JavaScript: facets are links, sorting is a GET form."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from shopstack.analytics.schema import Kind
from shopstack.analytics.web import action_record, page_about
from shopstack.catalog.selectors import first_images
from shopstack.core.clients import client_address
from shopstack.core.errors import ValidationFailed
from shopstack.search import selectors
from shopstack.search.backends.base import PRICE_BUCKETS, SORTS, SearchFilters
from shopstack.search.backends.sql import price_bucket_range
from shopstack.search.services import (
    FACET_SPELLINGS,
    MAX_PAGE,
    MAX_PER_PAGE,
    search_click,
    search_products,
    search_suggest,
)

PER_PAGE = 24
MAX_ID = 2**63 - 1  # the largest id the databases store
SORT_LABELS = {
    "relevance": "Best match",
    "price": "Price: low to high",
    "-price": "Price: high to low",
    "newest": "Newest",
    "best_selling": "Best selling",
}
RESERVED = {"q", "sort", "page", "min_price", "max_price", "in_stock", "price"}


def _decimal(value: str | None) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ValidationFailed("A price is not a number.", fields={"price": ["Give a number."]}) from exc


def _url(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    query.pop("page", None)
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        elif isinstance(value, list):
            query.setlist(name, value)
        else:
            query[name] = value
    return "?" + query.urlencode()


def _facet_groups(
    request: HttpRequest, result_facets: dict[str, Any], chosen: dict[str, tuple[str, ...]]
) -> list:
    titles = selectors.facet_titles()
    groups = []
    for name, counts in result_facets.items():
        if name in ("price", "in_stock") or name not in titles:
            continue
        items = []
        for count in counts[:12]:
            selected = count.value in chosen.get(name, ())
            values = (
                [v for v in chosen.get(name, ()) if v != count.value]
                if selected
                else [*chosen.get(name, ()), count.value]
            )
            items.append(
                {
                    "label": count.label,
                    "count": count.count,
                    "selected": selected,
                    "url": _url(request.GET, **{name: values}),
                }
            )
        groups.append({"name": name, "title": titles[name], "items": items})
    groups.sort(key=lambda g: (g["name"] != "category", g["title"]))
    return groups


def search(request: HttpRequest) -> HttpResponse:
    """Search results: what was understood, hits with highlighted names, facets, sorting
    and pages. Bad filters show a message with status 400."""
    text = request.GET.get("q", "")[:500]
    names = selectors.facet_names()
    chosen: dict[str, tuple[str, ...]] = {}
    for name in names:
        # "?color=red" on a shop whose attribute is "colour" (and the other way round).
        values = request.GET.getlist(name) or request.GET.getlist(FACET_SPELLINGS.get(name, ""))
        if values:
            chosen[name] = tuple(values[:20])
    sort = request.GET.get("sort") or "relevance"
    context: dict[str, Any] = {"q": text, "sort": sort, "sort_labels": SORT_LABELS, "noindex": True}
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page = 0
    try:
        low, high = _decimal(request.GET.get("min_price")), _decimal(request.GET.get("max_price"))
        bucket = price_bucket_range(request.GET.get("price", ""))
        if bucket:
            low, high = bucket
        filters = SearchFilters(
            facets=chosen,
            min_price=low,
            max_price=high,
            in_stock=True if request.GET.get("in_stock") else None,
        )
        if not text.strip() and not chosen and low is None and high is None:
            return render(request, "search/results.html", context)
        if sort not in SORTS:
            sort = "relevance"
        outcome = search_products(
            text=text,
            filters=filters,
            sort=sort,
            page=page,
            per_page=PER_PAGE,
            client_address=client_address(request),
        )
    except ValidationFailed as error:
        context["errors"] = [f"{field}: {' '.join(msgs)}" for field, msgs in error.fields.items()] or [
            error.message
        ]
        return render(request, "search/results.html", context, status=400)
    if text.strip():
        page_about(request, Kind.SEARCH, search_query=text[:200], result_count=outcome.result.total)
    documents = selectors.documents_by_id([hit.id for hit in outcome.result.hits])
    images = first_images(list(documents))
    offset = (page - 1) * PER_PAGE
    hits = [
        {
            "document": documents[hit.id],
            "image": images.get(hit.id),
            "title": mark_safe(hit.highlights.get("title", "")),  # escaped by highlight()
            "click": reverse("storefront:search-click")
            + "?"
            + urlencode(
                {
                    "log": outcome.log_token or "",
                    "product": hit.id,
                    "pos": offset + index + 1,
                    "q": text[:200],
                }
            ),
        }
        for index, hit in enumerate(outcome.result.hits)
        if hit.id in documents
    ]
    pages = min(math.ceil(outcome.result.total / PER_PAGE), MAX_PAGE)
    facets = outcome.result.facets
    current_bucket = request.GET.get("price", "")
    context.update(
        {
            "outcome": outcome,
            "hits": hits,
            "total": outcome.result.total,
            "page": page,
            "pages": pages,
            "previous_url": _url(request.GET, page=str(page - 1)) if page > 1 else None,
            "next_url": _url(request.GET, page=str(page + 1)) if page < pages else None,
            "facet_groups": _facet_groups(request, facets, chosen),
            "price_items": [
                {
                    "label": count.label,
                    "count": count.count,
                    "selected": count.value == current_bucket,
                    "url": _url(request.GET, price=None if count.value == current_bucket else count.value),
                }
                for count in facets.get("price", [])
            ],
            "in_stock_count": facets["in_stock"][0].count if "in_stock" in facets else 0,
            "in_stock_selected": bool(request.GET.get("in_stock")),
            "chosen_count": sum(len(values) for values in chosen.values())
            + bool(current_bucket)
            + bool(request.GET.get("in_stock")),
            "in_stock_url": _url(request.GET, in_stock=None if request.GET.get("in_stock") else "1"),
            "did_you_mean_url": _url(request.GET, q=outcome.did_you_mean) if outcome.did_you_mean else None,
            "price_buckets": PRICE_BUCKETS,
            "hidden": [
                (k, v) for k in request.GET if k not in ("sort", "page") for v in request.GET.getlist(k)
            ],
        }
    )
    template = (
        "search/includes/results_body.html"
        if request.htmx and not request.htmx.history_restore_request
        else "search/results.html"
    )
    return render(request, template, context)


def suggest(request: HttpRequest) -> HttpResponse:
    """The autocomplete list under the search box (an htmx fragment)."""
    text = request.GET.get("q", "")[:200]
    found = search_suggest(text=text)
    products = [{**p, "highlighted": mark_safe(p["highlighted"])} for p in found.products]
    return render(
        request,
        "search/includes/suggest.html",
        {"q": text, "products": products, "categories": found.categories, "queries": found.queries},
    )


def click(request: HttpRequest) -> HttpResponse:
    """A search result link: note the click against the search, then go to the product."""
    try:
        product_id = int(request.GET.get("product", ""))
        position = int(request.GET.get("pos") or 0) or None
    except ValueError as exc:
        raise Http404("No such product") from exc
    if not 0 < product_id <= MAX_ID or not 0 <= (position or 0) <= MAX_PAGE * MAX_PER_PAGE:
        # Larger than any id the database stores (SQLite raises on them) or any result's place.
        raise Http404("No such product")
    log = request.GET.get("log", "")[:64]
    document = selectors.documents_by_id([product_id]).get(product_id)
    if document is None:
        raise Http404("No such product")
    if log:
        search_click(log_token=log, product_id=product_id, position=position)
    action_record(
        request,
        Kind.SEARCH_CLICK,
        search_query=request.GET.get("q", "")[:200],
        product_id=product_id,
        position=position,
    )
    response = HttpResponseRedirect(reverse("storefront:product", args=[document.slug]))
    response["X-Robots-Tag"] = "noindex"
    return response
