"""Reads of the catalog shared by the storefront and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch, QuerySet

from shopstack.catalog.models import Attribute, Category, Product, ProductMedia, ProductVariant
from shopstack.core.errors import ValidationFailed

# Each sort ends on the primary key so that order is total and cursor pagination is stable.
SORTS: dict[str, tuple[str, ...]] = {
    "best_selling": ("-units_sold", "id"),
    "price": ("price_amount", "id"),
    "-price": ("-price_amount", "-id"),
    "newest": ("-published_at", "-id"),
    "name": ("name", "id"),
}
DEFAULT_SORT = "best_selling"


@dataclass(frozen=True)
class ProductFilters:
    category_ids: tuple[int, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    # attribute slug -> value slugs; values of one attribute are OR-ed, attributes AND-ed.
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        for name in ("min_price", "max_price"):
            value = getattr(self, name)
            if value is not None and (not value.is_finite() or value < 0):
                errors[name] = ["Must be a number, zero or more."]
        if (
            not errors
            and self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            errors["max_price"] = ["Must not be less than the minimum price."]
        if errors:
            raise ValidationFailed("The price range is not valid.", fields=errors)


def category_by_slug(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug, is_published=True).select_related("parent").first()


def category_names() -> dict[int, str]:
    """Every category's name by its id, published or not (staff filter reports by any)."""
    return dict(Category.objects.values_list("pk", "name"))


def published_category_ids() -> dict[str, int]:
    """Every published category's id by its slug."""
    return dict(Category.objects.filter(is_published=True).values_list("slug", "pk"))


def category_descendant_ids(category: Category) -> tuple[int, ...]:
    """The category and everything below it (one query for the whole, small, tree)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.filter(is_published=True).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = [category.pk], [category.pk]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return tuple(found)


def category_ancestors(category: Category) -> list[Category]:
    """From the root down to the category's parent, for breadcrumbs."""
    chain: list[Category] = []
    seen = {category.pk}
    parent_id = category.parent_id
    while parent_id is not None and parent_id not in seen:
        parent = Category.objects.only("pk", "name", "slug", "parent_id").get(pk=parent_id)
        chain.append(parent)
        seen.add(parent.pk)
        parent_id = parent.parent_id
    chain.reverse()
    return chain


def category_tree() -> list[tuple[Category, list[Category]]]:
    """Published top-level categories with their published children."""
    categories = list(Category.objects.filter(is_published=True).order_by("position", "name"))
    by_parent: dict[int | None, list[Category]] = {}
    for category in categories:
        by_parent.setdefault(category.parent_id, []).append(category)
    return [(top, by_parent.get(top.pk, [])) for top in by_parent.get(None, [])]


def product_list(*, filters: ProductFilters, sort: str = DEFAULT_SORT) -> QuerySet[Product]:
    """Published products matching the filters, in the given order."""
    if sort not in SORTS:
        raise ValidationFailed(
            f"Unknown sort {sort!r}.", fields={"sort": [f"Choose one of: {', '.join(SORTS)}."]}
        )
    products = Product.objects.filter(is_published=True)
    if filters.category_ids:
        products = products.filter(categories__in=filters.category_ids)
    if filters.min_price is not None:
        products = products.filter(price_amount__gte=filters.min_price)
    if filters.max_price is not None:
        products = products.filter(price_amount__lte=filters.max_price)
    if filters.in_stock is not None:
        products = products.filter(in_stock=filters.in_stock)
    for attribute_slug, value_slugs in filters.attributes.items():
        products = products.filter(
            pk__in=Product.attribute_values.through.objects.filter(
                attributevalue__attribute__slug=attribute_slug, attributevalue__slug__in=value_slugs
            ).values("product_id")
        )
    if filters.category_ids:
        products = products.distinct()
    return products.order_by(*SORTS[sort])


def with_listing_media(products: QuerySet[Product]) -> QuerySet[Product]:
    """Prefetch the first image of each product, which is all a listing shows."""
    return products.prefetch_related(
        Prefetch("media", queryset=ProductMedia.objects.order_by("position", "id"), to_attr="images")
    )


def first_images(product_ids: list[int]) -> dict[int, ProductMedia]:
    """The first image of each of these products that has one (one query): what a card
    shows, for lists that are not built from a Product queryset (search hits)."""
    found: dict[int, ProductMedia] = {}
    media = ProductMedia.objects.filter(product_id__in=product_ids).order_by("product_id", "position", "id")
    for image in media:
        found.setdefault(image.product_id, image)
    return found


def product_detail(*, slug: str | None = None, pk: int | None = None) -> Product | None:
    """A published product with everything its page shows, in a fixed number of queries."""
    products = Product.objects.filter(is_published=True).select_related("category", "product_type")
    products = products.prefetch_related(
        Prefetch("variants", queryset=ProductVariant.objects.prefetch_related("attribute_values__attribute")),
        Prefetch("media", queryset=ProductMedia.objects.order_by("position", "id"), to_attr="images"),
        "attribute_values__attribute",
    )
    if slug is not None:
        return products.filter(slug=slug).first()
    return products.filter(pk=pk).first()


def product_version(*, slug: str | None = None, pk: int | None = None) -> tuple[int, datetime] | None:
    """(id, updated_at) of a published product: enough to answer a conditional request or
    find a cached page without loading the product. Raw SQL because this runs on every
    product request and the ORM would cost more than the query."""
    column, value = ("slug", slug) if slug is not None else ("id", pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, updated_at FROM catalog_product WHERE {column} = %s AND is_published = %s",
            [value, True],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0], _as_datetime(row[1])


def catalog_version() -> datetime | None:
    """The latest change to any product or category: listing pages are fresh until it moves."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT MAX(updated_at) FROM catalog_product),"
            " (SELECT MAX(updated_at) FROM catalog_category)"
        )
        row = cursor.fetchone()
    stamps = [_as_datetime(value) for value in row if value is not None]
    return max(stamps) if stamps else None


def _as_datetime(value: object) -> datetime:
    """A stamp read through a raw cursor, always timezone-aware (UTC).

    SQLite's cursor gives a naive datetime for a plain column (its declared type is
    parsed without a zone) and text for MAX(); PostgreSQL gives aware datetimes."""
    if not isinstance(value, datetime):
        value = connection.ops.convert_datetimefield_value(value, None, connection)  # type: ignore[arg-type]
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- Storefront reads -------------------------------------------------------------------


def featured_products(*, limit: int = 8) -> QuerySet[Product]:
    """Published products the shop chose for the home page, newest first."""
    products = Product.objects.filter(is_published=True, is_featured=True).order_by("-published_at", "-id")
    return with_listing_media(products)[:limit]


def best_sellers(*, limit: int = 8) -> QuerySet[Product]:
    """Published products that have sold, most units first (ties: oldest product first)."""
    products = Product.objects.filter(is_published=True, units_sold__gt=0).order_by(*SORTS["best_selling"])
    return with_listing_media(products)[:limit]


def category_children(category: Category) -> list[Category]:
    return list(Category.objects.filter(parent=category, is_published=True).order_by("position", "name"))


@dataclass(frozen=True)
class Facet:
    """A filterable attribute and the values that published products in a listing carry."""

    slug: str
    name: str
    values: tuple[tuple[str, str], ...]  # (value slug, value name)


def filterable_attribute_slugs() -> frozenset[str]:
    """Slugs of the attributes listings can be filtered by (one query)."""
    return frozenset(Attribute.objects.filter(filterable=True).values_list("slug", flat=True))


def category_facets(*, category_ids: tuple[int, ...]) -> list[Facet]:
    """Filterable attributes of the published products in these categories, in one query."""
    through = Product.attribute_values.through
    rows = (
        through.objects.filter(
            product__is_published=True,
            product__categories__in=category_ids,
            attributevalue__attribute__filterable=True,
        )
        .values_list(
            "attributevalue__attribute__slug",
            "attributevalue__attribute__name",
            "attributevalue__slug",
            "attributevalue__name",
            "attributevalue__position",
        )
        .distinct()
    )
    grouped: dict[tuple[str, str], set[tuple[int, str, str]]] = {}
    for attr_slug, attr_name, value_slug, value_name, position in rows:
        grouped.setdefault((attr_slug, attr_name), set()).add((position, value_name, value_slug))
    return [
        Facet(slug=slug, name=name, values=tuple((v_slug, v_name) for _, v_name, v_slug in sorted(values)))
        for (slug, name), values in sorted(grouped.items(), key=lambda item: item[0][1])
    ]


def product_page_version(*, slug: str) -> tuple[int, datetime, datetime | None] | None:
    """(id, product updated_at, categories' latest updated_at) of a published product, in
    one round trip: a product page shows the category menu, so both decide its freshness."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, updated_at, (SELECT MAX(updated_at) FROM catalog_category)"
            " FROM catalog_product WHERE slug = %s AND is_published = %s",
            [slug, True],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0], _as_datetime(row[1]), None if row[2] is None else _as_datetime(row[2])


def category_version() -> datetime | None:
    """The latest change to any category: every page's navigation shows the category tree."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(updated_at) FROM catalog_category")
        row = cursor.fetchone()
    return None if row is None or row[0] is None else _as_datetime(row[0])


def sitemap_products() -> QuerySet[Product]:
    return Product.objects.filter(is_published=True).only("slug", "updated_at").order_by("id")


def sitemap_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_published=True).only("slug", "updated_at").order_by("id")


def published_categories() -> list[Category]:
    """Every published category in display order, in one query (the tree is small)."""
    return list(
        Category.objects.filter(is_published=True)
        .only("pk", "parent_id", "name", "slug", "description", "position")
        .order_by("position", "name", "pk")
    )


def variant_availability(*, variant_ids: list[int]) -> dict[int, int]:
    """Units that can still be sold of each variant (inventory's own count: on hand, less
    allocated and reserved units, over active warehouses, lapsed reservations freed), in
    one query: the product API asks on every request, cached body or not."""
    from shopstack.inventory.selectors import variants_available

    return variants_available(variant_ids=variant_ids)
