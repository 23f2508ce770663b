"""Category listings and product pages: parse the request, read through selectors, render."""

from __future__ import annotations

from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shopstack.catalog import selectors
from shopstack.core.forms import text_checked_by_form
from shopstack.storefront import seo
from shopstack.storefront.caching import cached_page, newest, version_text
from shopstack.storefront.forms import ProductFilterForm

PAGE_SIZE = 24
LISTING_SIZES = "(min-width: 1280px) 280px, (min-width: 768px) 30vw, 50vw"
PRODUCT_SIZES = "(min-width: 768px) 50vw, 100vw"


@text_checked_by_form
def category(request: HttpRequest, slug: str) -> HttpResponse:
    """Products of a category and everything below it, filtered, sorted and paged by GET.

    Freshness is the catalog version: any product or category change renews the page."""
    version = selectors.catalog_version()
    # htmx asks for the results only; a history restore needs the whole page again.
    fragment = bool(request.htmx) and not request.htmx.history_restore_request
    return cached_page(
        request,
        page="category",
        version=version_text(version),
        last_modified=newest(version),
        render=lambda: _render_category(request, slug, fragment=fragment),
        variant="results" if fragment else "full",
        varies=("HX-Request", "HX-History-Restore-Request"),
    )


def _render_category(request: HttpRequest, slug: str, *, fragment: bool) -> HttpResponse:
    current = selectors.category_by_slug(slug)
    if current is None:
        raise Http404("No such category")
    category_ids = selectors.category_descendant_ids(current)
    form = ProductFilterForm(request.GET, facets=selectors.category_facets(category_ids=category_ids))
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
    return render(request, template, context, status=200 if page_obj is not None else 400)


def product(request: HttpRequest, slug: str) -> HttpResponse:
    """One product. A raw (id, updated_at) lookup decides 304, cache hit or render."""
    # The navigation on every page shows the category tree, so its changes count too.
    found = selectors.product_page_version(slug=slug)
    if found is None:
        raise Http404("No such product")
    pk, updated_at, categories_at = found
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
