"""Plain factory functions for tests across contexts: each makes valid, published data
with unique names, and takes keyword overrides for what a test is about."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from shopstack.catalog.models import Attribute, AttributeValue, Category, Product, ProductType, ProductVariant
from shopstack.catalog.services import products_refresh
from shopstack.inventory.models import Stock, Warehouse

_counter = itertools.count(1)


def make_category(*, name: str | None = None, parent: Category | None = None, **extra: Any) -> Category:
    name = name or f"Category {next(_counter)}"
    return Category.objects.create(name=name, slug=extra.pop("slug", slugify(name)), parent=parent, **extra)


def make_product_type(name: str = "Gift") -> ProductType:
    product_type, _ = ProductType.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    return product_type


def make_attribute_value(attribute: str, value: str) -> AttributeValue:
    attr, _ = Attribute.objects.get_or_create(slug=slugify(attribute), defaults={"name": attribute})
    attribute_value, _ = AttributeValue.objects.get_or_create(
        attribute=attr, slug=slugify(value), defaults={"name": value}
    )
    return attribute_value


def make_warehouse(slug: str = "main") -> Warehouse:
    warehouse, _ = Warehouse.objects.get_or_create(
        slug=slug, defaults={"name": slug.title(), "country": "GB"}
    )
    return warehouse


def make_product(
    *,
    name: str | None = None,
    price: Decimal | str = "9.99",
    stock: int = 10,
    category: Category | None = None,
    published: bool = True,
    attributes: dict[str, str] | None = None,
    units_sold: int = 0,
    **extra: Any,
) -> Product:
    """A product with one variant (SKU = its code) holding `stock` units in the main warehouse."""
    n = next(_counter)
    name = name or f"Test product {n}"
    category = category or make_category()
    code = extra.pop("code", f"T{n:05d}")
    product = Product.objects.create(
        product_type=make_product_type(),
        code=code,
        name=name,
        slug=extra.pop("slug", f"{slugify(name)}-{code.lower()}"),
        category=category,
        is_published=published,
        published_at=timezone.now() if published else None,
        units_sold=units_sold,
        **extra,
    )
    product.categories.add(category)
    for attribute, value in (attributes or {}).items():
        product.attribute_values.add(make_attribute_value(attribute, value))
    variant = ProductVariant.objects.create(product=product, sku=code, price_amount=Decimal(str(price)))
    Stock.objects.create(variant=variant, warehouse=make_warehouse(), quantity=stock)
    products_refresh(product_ids=[product.pk])
    product.refresh_from_db()
    return product
