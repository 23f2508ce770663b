"""Catalog endpoints: the category tree and products, for the web and mobile apps.

Reads go through catalog selectors; these functions only parse parameters and shape
answers. Every GET answers conditionally (ETag / 304) and caches its JSON bytes under
a version read before any other work.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode
from ninja import Path, Query, Router
from pydantic import StringConstraints

from shopstack.api import cursor as cursors
from shopstack.api.conditional import FORMAT, conditional_json, make_etag, stamp
from shopstack.api.schemas import CategoryDetail, CategoryNode, ErrorOut, ProductDetail, ProductPage
from shopstack.catalog import selectors
from shopstack.catalog.media import LISTING_WIDTH, rendition_name, rendition_url, srcset
from shopstack.catalog.models import Category, Product, ProductMedia
from shopstack.core.errors import NotFound, ValidationFailed
from shopstack.core.money import quantize
from shopstack.core.page_cache import page_cache

router = Router(tags=["catalog"])

SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
ATTR_PATTERN = r"^[-a-zA-Z0-9_]+:[-a-zA-Z0-9_]+(,[-a-zA-Z0-9_]+)*$"
MAX_ID = 2**63 - 1  # the largest id the databases store; larger ones are 422, not 500
MAX_PRICE = Decimal("9999999999.99")
_ATTR_RE = re.compile(ATTR_PATTERN)
_SORT_TERMS = {name: cursors.sort_terms(Product, ordering) for name, ordering in selectors.SORTS.items()}

_NO_ATTRIBUTES: list[str] = []  # never mutated
AttributeFilter = Annotated[str, StringConstraints(pattern=ATTR_PATTERN, max_length=300)]
if TYPE_CHECKING:
    SortName = str
else:
    # The sorts the selector knows, published as an enum in the schema.
    SortName = Literal[tuple(selectors.SORTS)]
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
CONDITIONAL = {304: None}


def _price(amount: Decimal, currency: str) -> str:
    return str(quantize(amount, currency))


def _category_ref(category: Category) -> dict[str, Any]:
    return {"id": category.pk, "name": category.name, "slug": category.slug}


# Categories -------------------------------------------------------------------------


@router.get(
    "/categories",
    response={200: list[CategoryNode], **CONDITIONAL, **ERRORS},
    summary="The category tree",
    operation_id="categories_tree",
)
def categories_tree(request: HttpRequest) -> HttpResponse:
    """Every published category as a tree: top-level categories in display order, each with
    its `children` (to any depth). A category whose parent is unpublished is left out."""
    version = stamp(selectors.catalog_version())
    etag = make_etag("categories", version)

    def render() -> list[dict[str, Any]]:
        nodes: dict[int, dict[str, Any]] = {}
        categories = selectors.published_categories()
        for category in categories:
            nodes[category.pk] = {**_category_ref(category), "parent": category.parent_id, "children": []}
        roots = []
        for category in categories:
            node = nodes[category.pk]
            if category.parent_id is None:
                roots.append(node)
            elif category.parent_id in nodes:
                nodes[category.parent_id]["children"].append(node)
        return roots

    return conditional_json(request, etag, f"api:categories:{etag}", render)


@router.get(
    "/categories/{slug}",
    response={200: CategoryDetail, **CONDITIONAL, **ERRORS},
    summary="One category",
    operation_id="category_detail",
)
def category_detail(
    request: HttpRequest, slug: Annotated[str, Path(pattern=SLUG_PATTERN, max_length=128)]
) -> HttpResponse:
    """A published category with its breadcrumbs and published subcategories.
    404 if there is no published category with this slug."""
    version = stamp(selectors.catalog_version())
    etag = make_etag("category", slug, version)

    def render() -> dict[str, Any]:
        category = selectors.category_by_slug(slug)
        if category is None:
            raise NotFound("No published category has this slug.")
        children = [c for c in selectors.published_categories() if c.parent_id == category.pk]
        return {
            **_category_ref(category),
            "description": category.description,
            "parent": _category_ref(category.parent) if category.parent else None,
            "breadcrumbs": [_category_ref(c) for c in selectors.category_ancestors(category)],
            "children": [_category_ref(c) for c in children],
        }

    return conditional_json(request, etag, f"api:category:{etag}", render)


# Product list ------------------------------------------------------------------------


def _parse_attributes(raw: list[str]) -> dict[str, tuple[str, ...]]:
    attributes: dict[str, list[str]] = {}
    for item in raw:
        if not _ATTR_RE.match(item):
            raise ValidationFailed(
                "An attribute filter is not valid.",
                fields={"attr": [f"{item!r}: use attribute:value, e.g. colour:red or colour:red,blue."]},
            )
        name, values = item.split(":", 1)
        attributes.setdefault(name, []).extend(values.split(","))
    return {name: tuple(dict.fromkeys(values)) for name, values in attributes.items()}


def listing_image(media: ProductMedia | None) -> dict[str, str] | None:
    """A card's image (`ListingImage`): a listing's or a search hit's first image."""
    if media is None:
        return None
    return {"url": rendition_url(media, LISTING_WIDTH), "srcset": srcset(media), "alt": media.alt}


def _listing_image(product: Product) -> dict[str, str] | None:
    images: list[ProductMedia] = getattr(product, "images", [])
    return listing_image(images[0] if images else None)


def _plain(amount: Decimal | None) -> str:
    return "" if amount is None else format(amount.normalize(), "f")


def _list_item(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "code": product.code,
        "slug": product.slug,
        "name": product.name,
        "price": _price(product.price_amount, product.currency),
        "currency": product.currency,
        "in_stock": product.in_stock,
        "is_featured": product.is_featured,
        "category": product.category_id,
        "image": _listing_image(product),
    }


@router.get(
    "/products",
    response={200: ProductPage, **CONDITIONAL, **ERRORS},
    summary="List products",
    operation_id="products_list",
)
def products_list(
    request: HttpRequest,
    category: Annotated[
        str | None,
        Query(
            pattern=SLUG_PATTERN,
            max_length=128,
            description="Category slug; products in it or any of its subcategories. 404 if unknown.",
        ),
    ] = None,
    min_price: Annotated[
        Decimal | None, Query(le=MAX_PRICE, description="Lowest price, e.g. `2.50`.")
    ] = None,
    max_price: Annotated[Decimal | None, Query(le=MAX_PRICE, description="Highest price.")] = None,
    in_stock: Annotated[
        bool | None, Query(description="Only products that can (true) or cannot (false) be bought.")
    ] = None,
    attr: Annotated[
        list[AttributeFilter],
        Query(
            description=(
                "Attribute filter `attribute:value[,value...]`, repeatable: values of one attribute "
                "are OR-ed, different attributes AND-ed. E.g. `attr=colour:red,blue&attr=material:wood`."
            ),
        ),
    ] = _NO_ATTRIBUTES,
    sort: Annotated[SortName, Query(description="Order of the list.")] = selectors.DEFAULT_SORT,
    limit: Annotated[int, Query(ge=1, le=settings.API_MAX_PAGE_SIZE, description="Products per page.")] = 24,
    cursor: Annotated[
        str | None,
        Query(
            max_length=1000,
            pattern=r"^[-A-Za-z0-9_:]+$",
            description="`next_cursor` of the previous page, to get the next one.",
        ),
    ] = None,
) -> HttpResponse:
    """Published products, filtered and sorted, a page at a time (keyset pagination: pages
    never repeat or skip products, even while the catalog changes between requests)."""
    version = stamp(selectors.catalog_version())
    # The parsed parameters, not the query string: their order, spelling (`2.5`, `2.50`) and
    # parameters the list ignores (`utm_*`, anything unknown) must not make another answer to
    # keep (unique links would fill the cache).
    asked = [
        ("category", category or ""),
        ("min_price", _plain(min_price)),
        ("max_price", _plain(max_price)),
        ("in_stock", "" if in_stock is None else str(in_stock)),
        *(("attr", value) for value in attr),
        ("sort", sort),
        ("limit", str(limit)),
        ("cursor", cursor or ""),
    ]
    etag = make_etag("products", version, urlencode([(name, value) for name, value in asked if value]))

    def render() -> dict[str, Any]:
        category_ids: tuple[int, ...] = ()
        if category is not None:
            found = selectors.category_by_slug(category)
            if found is None:
                raise NotFound(
                    "No published category has this slug.",
                    fields={"category": ["No published category has this slug."]},
                )
            category_ids = selectors.category_descendant_ids(found)
        filters = selectors.ProductFilters(
            category_ids=category_ids,
            min_price=min_price,
            max_price=max_price,
            in_stock=in_stock,
            attributes=_parse_attributes(attr),
        )
        terms = _SORT_TERMS[sort]
        products = selectors.product_list(filters=filters, sort=sort)
        products = products.order_by(*(term.order_by() for term in terms))
        if cursor:
            products = products.filter(cursors.keyset_after(terms, cursors.decode(cursor, sort, terms)))
        rows = list(selectors.with_listing_media(products)[: limit + 1])
        next_cursor = cursors.encode(sort, terms, rows[limit - 1]) if len(rows) > limit else None
        return {"items": [_list_item(p) for p in rows[:limit]], "next_cursor": next_cursor}

    return conditional_json(request, etag, f"api:products:{etag}", render)


# Product detail ----------------------------------------------------------------------


def _attributes(values: list[Any]) -> list[dict[str, Any]]:
    grouped: dict[int, dict[str, Any]] = {}
    for value in values:
        attribute = value.attribute
        entry = grouped.setdefault(
            attribute.pk, {"slug": attribute.slug, "name": attribute.name, "values": []}
        )
        entry["values"].append({"slug": value.slug, "name": value.name})
    return list(grouped.values())


def _image(media: ProductMedia) -> dict[str, Any]:
    widths = sorted(media.widths or [])
    renditions = [
        {"width": width, "url": default_storage.url(rendition_name(media.image.name or "", width))}
        for width in widths
    ]
    return {
        "url": renditions[-1]["url"] if renditions else media.image.url,
        "alt": media.alt,
        "renditions": renditions,
        "srcset": srcset(media),
    }


def _product_detail(pk: int) -> dict[str, Any]:
    """Everything about a product that moves only with its `updated_at`: stock counts are
    left out (reservations change them without touching the product) and merged in per
    request by `_with_availability`."""
    product = selectors.product_detail(pk=pk)
    if product is None:
        raise NotFound("No published product has this id.")
    primary = product.category
    return {
        "id": product.pk,
        "code": product.code,
        "slug": product.slug,
        "name": product.name,
        "description": product.description,
        "price": _price(product.price_amount, product.currency),
        "currency": product.currency,
        "in_stock": product.in_stock,
        "is_featured": product.is_featured,
        "published_at": product.published_at.isoformat() if product.published_at else None,
        "updated_at": product.updated_at.isoformat(),
        "category": _category_ref(primary),
        "breadcrumbs": [_category_ref(c) for c in (*selectors.category_ancestors(primary), primary)],
        "categories": [_category_ref(c) for c in product.categories.all() if c.is_published],
        "attributes": _attributes(list(product.attribute_values.all())),
        "variants": [
            {
                "id": variant.pk,
                "sku": variant.sku,
                "name": variant.name,
                "price": _price(variant.price_amount, variant.currency),
                "currency": variant.currency,
                "weight_grams": variant.weight_grams,
                "attributes": _attributes(list(variant.attribute_values.all())),
            }
            for variant in product.variants.all()
        ],
        "images": [_image(media) for media in getattr(product, "images", [])],
    }


def _with_availability(cached: dict[str, Any], available: dict[int, int]) -> dict[str, Any]:
    """The cached body with each variant's exact stock count, without changing `cached`
    (the in-process cache hands out the same object to every request)."""
    variants = []
    for variant in cached["variants"]:
        units = available.get(variant["id"], 0)
        # Key order as the schema lists the fields; attributes last.
        variants.append(
            {
                **{key: value for key, value in variant.items() if key != "attributes"},
                "available": units,
                "in_stock": units > 0,
                "attributes": variant["attributes"],
            }
        )
    return {**cached, "variants": variants}


def _detail_response(request: HttpRequest, version: tuple[int, Any] | None) -> HttpResponse:
    if version is None:
        raise NotFound("No published product matches.")
    pk, updated_at = version
    product_stamp = stamp(updated_at)
    cache_key = f"api:product:{FORMAT}:{pk}:{product_stamp}"
    answers = page_cache()
    cached = answers.get(cache_key)
    if cached is None:
        cached = _product_detail(pk)
        answers.set(cache_key, cached, settings.PAGE_CACHE_SECONDS)
    available = selectors.variant_availability(variant_ids=[v["id"] for v in cached["variants"]])
    # The counts are part of the answer, so they are part of its ETag: a reservation makes
    # the next conditional request a 200 with the new count, never a stale 304.
    counts = ",".join(f"{variant_id}:{units}" for variant_id, units in sorted(available.items()))
    etag = make_etag("product", str(pk), product_stamp, counts)
    return conditional_json(request, etag, None, lambda: _with_availability(cached, available))


@router.get(
    "/products/by-slug/{slug}",
    response={200: ProductDetail, **CONDITIONAL, **ERRORS},
    summary="One product, by slug",
    operation_id="product_by_slug",
)
def product_by_slug(
    request: HttpRequest, slug: Annotated[str, Path(pattern=SLUG_PATTERN, max_length=220)]
) -> HttpResponse:
    """A published product with its variants, stock, images, attributes and categories.
    404 if there is no published product with this slug."""
    return _detail_response(request, selectors.product_version(slug=slug))


@router.get(
    "/products/{product_id}",
    response={200: ProductDetail, **CONDITIONAL, **ERRORS},
    summary="One product",
    operation_id="product_detail",
)
def product_detail(request: HttpRequest, product_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> HttpResponse:
    """A published product with its variants, stock, images, attributes and categories.
    404 if there is no published product with this id."""
    return _detail_response(request, selectors.product_version(pk=product_id))
