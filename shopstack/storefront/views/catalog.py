"""Category listings and product pages: parse the request, read through selectors, render."""

from __future__ import annotations

import time
from datetime import datetime

from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shopstack.analytics.schema import Kind
from shopstack.analytics.web import page_about
from shopstack.catalog import selectors
from shopstack.core.forms import text_checked_by_form
from shopstack.storefront import seo
from shopstack.storefront.caching import cached_page, do_not_store, newest, version_text
from shopstack.storefront.forms import RESERVED, ProductFilterForm

PAGE_SIZE = 24
LISTING_SIZES = "(min-width: 1280px) 280px, (min-width: 768px) 30vw, 50vw"
PRODUCT_SIZES = "(min-width: 768px) 50vw, 100vw"


# Filterable attribute slugs may change without a product or category changing (an
# attribute made filterable): at most this old.
FILTER_NAMES_MAX_AGE = 60.0
_filter_names: tuple[datetime | None, float, frozenset[str]] | None = None


def _listing_params(version: datetime | None) -> frozenset[str]:
    """The query parameters that change a category page: its own (sort, page, prices, in
    stock) and the filterable attributes' slugs. Kept per process for the catalog version,
    so a cached page is found with no query beyond the version's."""
    global _filter_names
    held = _filter_names
    if held is None or held[0] != version or time.monotonic() - held[1] > FILTER_NAMES_MAX_AGE:
        held = (version, time.monotonic(), RESERVED | selectors.filterable_attribute_slugs())
        _filter_names = held
    return held[2]


_category_ids: tuple[datetime | None, dict[str, int]] | None = None


def _category_id(version: datetime | None, slug: str) -> int | None:
    """A published category's id by its slug, kept per process for the catalog version
    (one query for the whole, small, tree when it changes), so a cached page knows what it
    shows without a query of its own."""
    global _category_ids
    held = _category_ids
    if held is None or held[0] != version:
        held = (version, selectors.published_category_ids())
        _category_ids = held
    return held[1].get(slug)


@text_checked_by_form
def category(request: HttpRequest, slug: str) -> HttpResponse:
    """Products of a category and everything below it, filtered, sorted and paged by GET.

    Freshness is the catalog version: any product or category change renews the page."""
    version = selectors.catalog_version()
    params = _listing_params(version)
    category_id = _category_id(version, slug)
    if category_id is not None:
        page_about(request, Kind.LIST_VIEW, category_id=category_id, list_name="category")
    # htmx asks for the results only; a history restore needs the whole page again.
    fragment = bool(request.htmx) and not request.htmx.history_restore_request
    return cached_page(
        request,
        page="category",
        version=version_text(version),
        last_modified=newest(version),
        render=lambda: _render_category(request, slug, params, fragment=fragment),
        variant="results" if fragment else "full",
        varies=("HX-Request", "HX-History-Restore-Request"),
        params=params,
    )


def _render_category(
    request: HttpRequest, slug: str, params: frozenset[str], *, fragment: bool
) -> HttpResponse:
    current = selectors.category_by_slug(slug)
    if current is None:
        raise Http404("No such category")
    category_ids = selectors.category_descendant_ids(current)
    # Only facets the cache key knows of: a page filtered by one it left out would be kept
    # as the unfiltered page.
    facets = [facet for facet in selectors.category_facets(category_ids=category_ids) if facet.slug in params]
    form = ProductFilterForm(request.GET, facets=facets)
    filters = form.filters(category_ids=category_ids)
    page_obj = None
    if filters is not None:
        products = selectors.with_listing_media(selectors.product_list(filters=filters, sort=form.sort_key))
        try:
            page_obj = Paginator(products, PAGE_SIZE).page(request.GET.get("page") or 1)
        except InvalidPage as exc:
            raise Http404("No such page") from exc
    path = request.path
    if page_obj is not None and page_obj.number > 1:
        path += f"?page={page_obj.number}"
    context = {
        "category": current,
        "ancestors": selectors.category_ancestors(current),
        "children": selectors.category_children(current),
        "form": form,
        "page_obj": page_obj,
        "listing_sizes": LISTING_SIZES,
        "canonical": seo.canonical_url(path),
        # Filtered variants of a listing are for shoppers, not for search indexes.
        "noindex": form.is_filtered(),
    }
    template = "storefront/includes/results.html" if fragment else "storefront/category.html"
    response = render(request, template, context, status=200 if page_obj is not None else 400)
    if page_obj is not None and _ignored_filter_values(request, form, params):
        return do_not_store(response)
    return response


def _ignored_filter_values(request: HttpRequest, form: ProductFilterForm, params: frozenset[str]) -> bool:
    """Whether the request named filter values this page does not offer (an old bookmark, or
    made-up values): the page is answered without them, but its URL is not kept in the cache,
    so such values cannot fill it."""
    for name in params - RESERVED:
        given = [value for value in request.GET.getlist(name) if value]
        if given and (name not in form.facet_names or len(form.cleaned_data[name]) < len(set(given))):
            return True
    return False


def product(request: HttpRequest, slug: str) -> HttpResponse:
    """One product. A raw (id, updated_at) lookup decides 304, cache hit or render."""
    # The navigation on every page shows the category tree, so its changes count too.
    found = selectors.product_page_version(slug=slug)
    if found is None:
        raise Http404("No such product")
    pk, updated_at, categories_at = found
    page_about(request, Kind.PRODUCT_VIEW, product_id=pk)
    # No query parameter changes a product page (params left empty): `?utm_source=...`
    # shares its one entry.
    return cached_page(
        request,
        page="product",
        version=version_text(updated_at, categories_at) + f":{pk}",
        last_modified=newest(updated_at, categories_at),
        render=lambda: _render_product(request, pk),
    )


def _render_product(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.product_detail(pk=pk)
    if item is None:
        raise Http404("No such product")
    url = seo.canonical_url(request.path)
    description = item.seo_description or _summary(item.description) or item.name
    breadcrumbs = [*selectors.category_ancestors(item.category), item.category]
    context = {
        "product": item,
        "variants": list(item.variants.all()),
        "images": item.images,
        "breadcrumbs": breadcrumbs,
        "attributes": sorted(item.attribute_values.all(), key=lambda v: (v.attribute.name, v.position)),
        "title": item.seo_title or item.name,
        "description": description,
        "canonical": url,
        "share_images": seo.product_images(item),
        "json_ld": seo.product_json_ld(item, url=url, description=description),
        "product_sizes": PRODUCT_SIZES,
    }
    return render(request, "storefront/product.html", context)


def _summary(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
