"""Factories for inventory tests: variants with stock spread over warehouses."""

from __future__ import annotations

from typing import Any

from shopstack.catalog.models import ProductVariant
from shopstack.inventory.models import Stock
from shopstack.testing.factories import make_product, make_warehouse


def make_stocked_variant(*, stock: int | dict[str, int] = 10, **product: Any) -> ProductVariant:
    """A product's single variant with `stock` units in "main", or {warehouse slug: units}."""
    per_warehouse = stock if isinstance(stock, dict) else {"main": stock}
    made = make_product(stock=per_warehouse.get("main", 0), **product)
    variant = made.variants.get()
    for slug, units in per_warehouse.items():
        if slug != "main":
            Stock.objects.create(variant=variant, warehouse=make_warehouse(slug), quantity=units)
    return variant


def stock_of(variant: ProductVariant, slug: str = "main") -> Stock:
    """The variant's stock row in a warehouse, fresh from the database."""
    return Stock.objects.get(variant=variant, warehouse__slug=slug)


def stock_snapshot() -> list[tuple[int, int, int, int]]:
    """Every stock row's (id, quantity, allocated, reserved): to assert nothing changed."""
    return list(Stock.objects.order_by("pk").values_list("pk", "quantity", "allocated", "reserved"))
