"""Snapshots of what the facts and events refer to (columns: layout.DIMS), rebuilt in full.

- customers: every customer account (staff accounts only when they have ordered), with
  the country of their profile, else of their default shipping address. No name, email
  or address: the warehouse is an export, and needs only what a breakdown groups by.
  `age_band` stays "" until the shop keeps such a profile field.
- categories.top_category_id: the root of the category's branch (itself for a root);
  categories.path: the ids from that root down to the category, "/1/5/9/".
- Campaigns are no table of the shop: events and ad spend name them by their utm_source,
  utm_medium and utm_campaign.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, Subquery

from shopstack.accounts.models import Address
from shopstack.analytics.warehouse.layout import DIMS
from shopstack.analytics.warehouse.rows import CHUNK_ROWS, Row, record_batches
from shopstack.analytics.warehouse.values import country_code, to_minor
from shopstack.catalog.models import Category, Product, ProductVariant
from shopstack.inventory.models import Warehouse
from shopstack.orders.models import Order
from shopstack.shipping.models import ShippingMethod


def products() -> Iterator[pa.RecordBatch]:
    rows = (
        Product.objects.order_by("pk")
        .values_list("pk", "code", "name", "slug", "category_id", "price_amount", "currency", "is_published")
        .iterator(chunk_size=CHUNK_ROWS)
    )

    def convert(row: Row) -> Row:
        pk, code, name, slug, category_id, price, currency, published = row
        return (pk, code, name, slug, category_id, to_minor(price, currency), currency, published)

    return record_batches(rows, DIMS["products"], convert)


def variants() -> Iterator[pa.RecordBatch]:
    rows = (
        ProductVariant.objects.order_by("pk")
        .values_list("pk", "product_id", "sku", "name")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    return record_batches(rows, DIMS["variants"])


def categories() -> Iterator[pa.RecordBatch]:
    # A shop has hundreds of categories, not millions: the tree is walked in memory.
    rows = list(Category.objects.order_by("pk").values_list("pk", "name", "slug", "parent_id"))
    parents = {pk: parent_id for pk, _, _, parent_id in rows}

    def branch(pk: int) -> list[int]:
        """The ids from the top of pk's branch down to pk (a loop in the tree stops the walk)."""
        ids = [pk]
        while parents.get(pk) is not None and parents[pk] not in ids:
            pk = parents[pk]  # type: ignore[assignment]
            ids.append(pk)
        return ids[::-1]

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        ids = branch(row[0])
        return (*row, ids[0], "/" + "/".join(map(str, ids)) + "/")

    return record_batches(rows, DIMS["categories"], convert)


def customers() -> Iterator[pa.RecordBatch]:
    default_address = Address.objects.filter(user=OuterRef("pk"), is_default_shipping=True).values("country")
    has_ordered = Exists(Order.objects.filter(customer=OuterRef("pk")))
    rows = (
        get_user_model()
        .objects.filter(Q(is_staff=False) | has_ordered)
        .order_by("pk")
        .annotate(address_country=Subquery(default_address[:1]))
        .values_list("pk", "date_joined", "country", "address_country")
        .iterator(chunk_size=CHUNK_ROWS)
    )

    def convert(row: Row) -> Row:
        pk, joined, country, address_country = row
        return (pk, joined, country_code(country) or address_country or "", "")

    return record_batches(rows, DIMS["customers"], convert)


def warehouses() -> Iterator[pa.RecordBatch]:
    rows = (
        Warehouse.objects.order_by("pk").values_list("pk", "name", "country").iterator(chunk_size=CHUNK_ROWS)
    )
    return record_batches(rows, DIMS["warehouses"])


def shipping_methods() -> Iterator[pa.RecordBatch]:
    rows = (
        ShippingMethod.objects.order_by("pk")
        .values_list("pk", "name", "code", "zone__name", "max_days")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    return record_batches(rows, DIMS["shipping_methods"])


REBUILT = {
    "products": products,
    "variants": variants,
    "categories": categories,
    "customers": customers,
    "warehouses": warehouses,
    "shipping_methods": shipping_methods,
}
