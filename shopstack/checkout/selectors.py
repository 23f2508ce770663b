"""Reading carts: what the cart page, the mini-cart and the API show.

Prices come from the catalog at the time of reading, never from the client or from a
copy kept in the cart. Taxes, shipping and vouchers belong to pricing and checkout.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from shopstack.catalog.models import ProductVariant
from shopstack.checkout.models import Cart, CartLine, Checkout
from shopstack.core.errors import NotFound
from shopstack.core.money import quantize
from shopstack.inventory.selectors import reservations_active, variants_available


@dataclass(frozen=True, slots=True)
class CartLineSummary:
    variant_id: int
    product_id: int
    product_name: str
    product_slug: str
    variant_name: str
    sku: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    currency: str
    available: int
    on_sale: bool

    @property
    def problem(self) -> str:
        """Why this line cannot be bought as it is, or "" if it can."""
        if not self.on_sale:
            return "No longer available; please remove it."
        if self.available <= 0:
            return "Out of stock."
        if self.quantity > self.available:
            return f"Only {self.available} left; please lower the quantity."
        return ""


@dataclass(frozen=True, slots=True)
class CartSummary:
    cart_id: int | None
    currency: str
    lines: list[CartLineSummary]
    subtotal: Decimal
    item_count: int

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def has_problems(self) -> bool:
        """True if some line is out of stock, short or off sale: checkout must not start."""
        return any(line.problem for line in self.lines)


def cart_summary(cart: Cart | None, *, currency: str = "GBP") -> CartSummary:
    """Lines with names, SKUs, unit prices and line totals read now from the catalog, the
    subtotal (lines still on sale), the number of items and each line's availability.

    `cart` may be None (no cart yet): the empty summary in `currency`."""
    if cart is None:
        return CartSummary(cart_id=None, currency=currency, lines=[], subtotal=Decimal("0"), item_count=0)
    lines = []
    subtotal = Decimal("0")
    rows = list(
        CartLine.objects.filter(cart=cart).select_related("variant__product").order_by("added_at", "id")
    )
    # Inventory owns the rule (active warehouses, allocations, reservations); one bulk read.
    stock = variants_available(variant_ids=[line.variant_id for line in rows]) if rows else {}
    for variant_id, units in _held_for_cart(cart).items() if rows else ():
        # Units the cart's own checkout holds are still this shopper's to buy.
        stock[variant_id] = stock.get(variant_id, 0) + units
    for line in rows:
        variant = line.variant
        product = variant.product
        unit = quantize(variant.price_amount, cart.currency)
        total = quantize(unit * line.quantity, cart.currency)
        available = stock.get(variant.pk, 0)
        on_sale = product.is_published
        if on_sale:
            subtotal += total
        lines.append(
            CartLineSummary(
                variant_id=variant.pk,
                product_id=product.pk,
                product_name=product.name,
                product_slug=product.slug,
                variant_name=variant.name,
                sku=variant.sku,
                quantity=line.quantity,
                unit_price=unit,
                line_total=total,
                currency=cart.currency,
                available=max(available, 0),
                on_sale=on_sale,
            )
        )
    return CartSummary(
        cart_id=cart.pk,
        currency=cart.currency,
        lines=lines,
        subtotal=quantize(subtotal, cart.currency),
        item_count=sum(line.quantity for line in lines),
    )


def _held_for_cart(cart: Cart) -> dict[int, int]:
    held: dict[int, int] = {}
    checkout = Checkout.objects.filter(cart=cart, status=Checkout.Status.OPEN).only("token").first()
    if checkout is not None:
        for reservation in reservations_active(ref=checkout.reservation_ref):
            held[reservation.variant_id] = held.get(reservation.variant_id, 0) + reservation.quantity
    return held


def cart_item_count(cart: Cart | None) -> int:
    """Units in the cart, for the mini-cart: one aggregate query, none without a cart."""
    if cart is None:
        return 0
    return CartLine.objects.filter(cart=cart).aggregate(units=Sum("quantity"))["units"] or 0


def variant_for_sale(*, variant_id: int | None) -> ProductVariant | None:
    """A variant of a published product, with its product, for re-showing an add form."""
    if variant_id is None:
        return None
    return (
        ProductVariant.objects.select_related("product")
        .filter(pk=variant_id, product__is_published=True)
        .first()
    )


def product_variants(*, product_id: int) -> list[ProductVariant]:
    return list(ProductVariant.objects.filter(product_id=product_id))


def checkout_token_parse(token: object) -> uuid.UUID | None:
    """A checkout token from a URL, a form or a header, or None if it is not one."""
    try:
        return uuid.UUID(str(token))
    except ValueError:
        return None


def checkout_for(
    *, token: object, customer_id: int | None = None, cart_uuid: uuid.UUID | None = None
) -> Checkout:
    """The checkout behind `token`, if it belongs to the caller: a signed-in customer's
    own checkout, or a guest checkout of the guest cart whose token the caller holds
    (whatever the cart's status, so a placed checkout stays readable to its buyer).
    Anything else, including a well-formed token of someone else's, is NotFound."""
    found = checkout_token_parse(token)
    checkout = None
    if found is not None and customer_id is not None:
        checkout = (
            Checkout.objects.select_related("cart").filter(token=found, customer_id=customer_id).first()
        )
    elif found is not None and cart_uuid is not None:
        checkout = (
            Checkout.objects.select_related("cart")
            .filter(token=found, customer__isnull=True, cart__token=cart_uuid, cart__customer__isnull=True)
            .first()
        )
    if checkout is None:
        raise NotFound("No such checkout.", code="checkout_not_found")
    return checkout


def checkout_open_for_cart(*, cart: Cart | None) -> Checkout | None:
    """The checkout under way for a cart, if any."""
    if cart is None:
        return None
    return Checkout.objects.filter(cart=cart, status=Checkout.Status.OPEN).first()
