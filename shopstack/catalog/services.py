"""Rules for changing the catalog. Every change that a page or API answer shows moves the
product's `updated_at`, which is what page caches and ETags key on."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import Exists, F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from shopstack.catalog.models import Product, ProductVariant
from shopstack.core.errors import PermissionDenied, ValidationFailed
from shopstack.core.money import quantize

PRICE_PERMISSION = "catalog.change_price"


class Actor(Protocol):
    """Who asks for a change: a user (staff in the back office), checked for permissions."""

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


def price_change_allowed(actor: Actor | None) -> bool:
    """May `actor` set prices? `None` is the shop itself (a management command run by whoever
    operates the server, a test): always allowed. A user needs `catalog.change_price`."""
    return actor is None or actor.has_perm(PRICE_PERMISSION)


def price_change_check(actor: Actor | None) -> None:
    """Refuse (PermissionDenied) an actor who may not set prices."""
    if not price_change_allowed(actor):
        raise PermissionDenied(
            "You may not change prices.",
            code="price_permission",
            fields={"price": ["Changing prices needs the permission 'Can change variant prices'."]},
        )


def products_refresh(*, product_ids: Iterable[int]) -> int:
    """Recompute each product's listing price (cheapest variant) and stock flag, and move
    its `updated_at`. Call after any change to variants, prices or stock."""
    from shopstack.inventory.models import Stock

    ids = list(product_ids)
    if not ids:
        return 0
    cheapest = (
        ProductVariant.objects.filter(product=OuterRef("pk"))
        .values("product")
        .annotate(low=Min("price_amount"))
        .values("low")
    )
    # Reserved units are promised to shoppers paying right now: not for sale to others.
    # (A reservation past its expiry still counts here until the expiry sweep frees it.)
    has_stock = Stock.objects.filter(
        variant__product=OuterRef("pk"),
        warehouse__is_active=True,
        quantity__gt=F("allocated") + F("reserved"),
    )
    updated = 0
    # Chunked so a catalogue-wide refresh stays under SQLite's variable limit.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        updated += Product.objects.filter(pk__in=chunk).update(
            price_amount=Subquery(cheapest),
            in_stock=Exists(has_stock),
            updated_at=timezone.now(),
        )
    Product.objects.filter(pk__in=ids, price_amount__isnull=True).update(price_amount=Decimal("0"))
    return updated


def products_refresh_stock(*, product_ids: Iterable[int]) -> int:
    """Set each product's stock flag from its stock now, moving `updated_at` only for the
    products whose flag flips. The flag is all that listings, product pages and search
    documents show of stock, so a reservation or an allocation that leaves a product on
    sale (or sold out) changes no page and must not renew every cached one. Call inside
    the transaction that changed the stock. Returns how many products flipped."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    # Raw SQL: this runs in every reservation and allocation, and compiling the ORM's
    # version of it cost more than running it. Reserved units are promised to shoppers
    # paying right now, so they are not for sale to others.
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.in_stock, EXISTS ("
            " SELECT 1 FROM inventory_stock s"
            " JOIN inventory_warehouse w ON w.id = s.warehouse_id"
            " JOIN catalog_productvariant v ON v.id = s.variant_id"
            " WHERE v.product_id = p.id AND w.is_active = %s AND s.quantity > s.allocated + s.reserved"
            f") FROM catalog_product p WHERE p.id IN ({placeholders})",
            [True, *ids],
        )
        flips: dict[bool, list[int]] = {True: [], False: []}
        for pk, in_stock, has_stock in cursor.fetchall():
            if bool(in_stock) != bool(has_stock):
                flips[bool(has_stock)].append(pk)
    now = timezone.now()
    for flag, pks in flips.items():
        if pks:
            Product.objects.filter(pk__in=pks).update(in_stock=flag, updated_at=now)
    return len(flips[True]) + len(flips[False])


def product_touch(*, product_ids: Iterable[int]) -> None:
    """Mark products changed so that cached pages and ETags that show them are renewed."""
    Product.objects.filter(pk__in=list(product_ids)).update(updated_at=timezone.now())


def products_set_published(*, product_ids: Iterable[int], published: bool) -> int:
    now = timezone.now()
    ids = list(product_ids)
    with transaction.atomic():
        count = Product.objects.filter(pk__in=ids).update(is_published=published, updated_at=now)
        if published:
            Product.objects.filter(pk__in=ids, published_at__isnull=True).update(published_at=now)
    return count


def products_change_price(
    *,
    product_ids: Iterable[int],
    actor: Actor | None,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
) -> int:
    """Change every variant price of the products by a percentage or by a fixed amount.

    Prices are rounded once, to the currency's minor unit. A change that would make any
    price negative is refused as a whole and changes nothing. An actor without the price
    permission is refused (PermissionDenied).
    """
    price_change_check(actor)
    if (percent is None) == (amount is None):
        raise ValidationFailed(
            "Give either a percentage or an amount.", fields={"percent": ["Give exactly one of these."]}
        )
    ids = list(product_ids)
    with transaction.atomic():
        variants = list(ProductVariant.objects.select_for_update().filter(product_id__in=ids))
        for variant in variants:
            if percent is not None:
                new_price = variant.price_amount * (Decimal(100) + percent) / Decimal(100)
            else:
                new_price = variant.price_amount + amount  # type: ignore[operator]
            new_price = quantize(new_price, variant.currency)
            if new_price < 0:
                raise ValidationFailed(
                    f"The change would make the price of {variant.sku} negative.",
                    fields={"percent" if percent is not None else "amount": ["Too large a reduction."]},
                )
            variant.price_amount = new_price
        ProductVariant.objects.bulk_update(variants, ["price_amount"])
        products_refresh(product_ids=ids)
    return len(variants)


def variant_set_price(*, variant: ProductVariant, price: Decimal, actor: Actor | None) -> ProductVariant:
    """Set one variant's price. An actor without the price permission is refused."""
    price_change_check(actor)
    if price < 0:
        raise ValidationFailed("A price cannot be negative.", fields={"price": ["Must be zero or more."]})
    with transaction.atomic():
        variant.price_amount = quantize(price, variant.currency)
        variant.save(update_fields=["price_amount", "updated_at"])
        products_refresh(product_ids=[variant.product_id])
    return variant


def published_products() -> Q:
    return Q(is_published=True)
