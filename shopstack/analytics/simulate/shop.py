"""The shop's real orders and catalogue as a simulation's history (read-only)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from shopstack.analytics.simulate.countries import country_code
from shopstack.analytics.simulate.history import (
    CategoryRecord,
    History,
    LineRecord,
    OrderRecord,
    ProductRecord,
    history_build,
)
from shopstack.catalog.models import Category, Product, ProductVariant
from shopstack.core.money import minor_units, quantize
from shopstack.orders.models import Order, OrderLine

# Orders whose browsing was never recorded: the imported history. Orders placed in the shop
# itself have their real events.
HISTORY_SOURCES = ("import",)


def _minor(amount: Decimal, currency: str) -> int:
    return int(quantize(amount, currency).scaleb(minor_units(currency)))


def shop_history(sources: Sequence[str] = HISTORY_SOURCES) -> History:
    """Orders (not cancellations) from `sources`, with their lines, and the whole catalogue."""
    orders = Order.objects.filter(kind=Order.Kind.ORDER, source__in=list(sources))
    lines: dict[int, list[LineRecord]] = defaultdict(list)
    rows = (
        OrderLine.objects.filter(order__in=orders, variant__isnull=False)
        .order_by("order_id", "pk")
        .values_list("order_id", "variant__product_id", "quantity", "total_amount", "order__currency")
    )
    for order_id, product_id, quantity, total, currency in rows.iterator(chunk_size=20_000):
        lines[order_id].append(LineRecord(product_id, quantity, _minor(total, currency)))
    order_records = [
        OrderRecord(
            order_id=order_id,
            customer_id=customer_id,
            placed_at=placed_at,
            country=country_code(country),
            value_minor=_minor(total, currency),
            currency=currency,
            lines=tuple(lines.get(order_id, ())),
        )
        for order_id, customer_id, placed_at, country, total, currency in orders.values_list(
            "id", "customer_id", "placed_at", "country", "total_amount", "currency"
        ).iterator(chunk_size=20_000)
    ]
    first_variant: dict[int, int] = {}
    for product_id, variant_id in ProductVariant.objects.order_by("product_id", "position", "id").values_list(
        "product_id", "id"
    ):
        first_variant.setdefault(product_id, variant_id)
    products = [
        ProductRecord(
            product_id=product_id,
            variant_id=first_variant.get(product_id),
            category_id=category_id,
            name=name,
            slug=slug,
            price_minor=_minor(price, currency),
        )
        for product_id, category_id, name, slug, price, currency in Product.objects.order_by(
            "id"
        ).values_list("id", "category_id", "name", "slug", "price_amount", "currency")
    ]
    categories = [
        CategoryRecord(category_id, name, slug)
        for category_id, name, slug in Category.objects.order_by("id").values_list("id", "name", "slug")
    ]
    return history_build(order_records, products, categories)
