"""Stock changes. Each moves the product's `updated_at` so availability shown is fresh."""

from __future__ import annotations

from django.db import transaction

from shopstack.catalog.models import ProductVariant
from shopstack.catalog.services import products_refresh
from shopstack.core.errors import ValidationFailed
from shopstack.inventory.models import Stock, Warehouse


def stock_set_quantity(*, variant: ProductVariant, warehouse: Warehouse, quantity: int) -> Stock:
    """Set the units on hand (a stock count). Never below what is already allocated."""
    if quantity < 0:
        raise ValidationFailed("Stock cannot be negative.", fields={"quantity": ["Must be zero or more."]})
    with transaction.atomic():
        stock, _ = Stock.objects.select_for_update().get_or_create(variant=variant, warehouse=warehouse)
        if quantity < stock.allocated:
            raise ValidationFailed(
                f"{stock.allocated} units are allocated to orders; the count cannot be lower.",
                fields={"quantity": [f"Must be at least {stock.allocated}."]},
            )
        stock.quantity = quantity
        stock.save(update_fields=["quantity", "updated_at"])
        products_refresh(product_ids=[variant.product_id])
    return stock


def variant_available(*, variant_id: int) -> int:
    """Units of the variant that can still be sold, over all active warehouses."""
    total = 0
    for quantity, allocated in Stock.objects.filter(
        variant_id=variant_id, warehouse__is_active=True
    ).values_list("quantity", "allocated"):
        total += quantity - allocated
    return total
