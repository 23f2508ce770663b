"""Cart rules: which cart a shopper has, and what may go in it.

Every function validates its own input (quantities and ids may arrive as form text) and
raises `shopstack.core.errors` with field-level messages; nothing is changed when it
refuses. Stock is only checked here, never reserved: reservation belongs to checkout.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from shopstack.catalog.models import ProductVariant
from shopstack.checkout.models import Cart, CartLine
from shopstack.core.errors import Conflict, NotFound, ValidationFailed
from shopstack.inventory.selectors import variant_available

if TYPE_CHECKING:
    from shopstack.accounts.models import User

MAX_QUANTITY = 999
MAX_ID = 2**63 - 1  # the largest id the databases store; larger ones are "not found", not a 500
TOKEN_SALT = "shopstack.checkout.cart-token"
_INTEGER = re.compile(r"[+-]?[0-9]+")

NOT_FOR_SALE = "This product is not available."


# Tokens ------------------------------------------------------------------------------


def cart_token_sign(*, cart: Cart) -> str:
    """The token a guest holds for `cart`: its UUID signed with the site's secret key.

    The UUID alone is unguessable; the signature also lets a forged or mistyped token be
    refused without a database lookup."""
    return signing.Signer(salt=TOKEN_SALT).sign(cart.token.hex)


def cart_token_unsign(*, token: str) -> uuid.UUID | None:
    """The cart UUID inside a signed token, or None if the token is not one we issued."""
    try:
        raw = signing.Signer(salt=TOKEN_SALT).unsign(token.strip())
        return uuid.UUID(hex=raw)
    except (signing.BadSignature, ValueError):
        return None


# Finding a cart ----------------------------------------------------------------------


def cart_for(*, customer: User | None = None, token: str | None = None, create: bool = False) -> Cart | None:
    """The open cart of a signed-in `customer`, or else the open guest cart behind a
    signed `token`; with `create`, a new empty cart when there is none.

    A token only ever finds a guest cart: a customer's cart is reached through the
    customer, so a leaked token of a cart that was later merged or converted finds nothing.
    """
    if customer is not None:
        cart = Cart.objects.filter(customer=customer, status=Cart.Status.OPEN).first()
        if cart is None and create:
            try:
                with transaction.atomic():
                    cart = Cart.objects.create(customer=customer, currency=settings.SHOP_CURRENCY)
            except IntegrityError:
                # Another request of the same customer created it first (one open cart each).
                cart = Cart.objects.get(customer=customer, status=Cart.Status.OPEN)
        return cart
    cart = None
    found = cart_token_unsign(token=token) if token else None
    if found is not None:
        cart = Cart.objects.filter(token=found, status=Cart.Status.OPEN, customer__isnull=True).first()
    if cart is None and create:
        cart = Cart.objects.create(currency=settings.SHOP_CURRENCY)
    return cart


# Changing a cart ---------------------------------------------------------------------


def cart_add(*, cart: Cart, variant_id: int | str, quantity: int | str) -> CartLine:
    """Add `quantity` units of a variant, on top of any already in the cart.

    Refused (ValidationFailed, nothing changed) for a quantity that is not a whole number
    from 1 to 999, an unknown or unpublished variant, or more than can be sold."""
    count = _parse_quantity(quantity, lowest=1)
    variant = _sellable_variant(variant_id)
    with transaction.atomic():
        locked = _lock_open(cart)
        if variant.currency != locked.currency:
            raise ValidationFailed(
                "This product is priced in another currency than your cart.",
                fields={"variant_id": [f"Priced in {variant.currency}; your cart is in {locked.currency}."]},
            )
        line = CartLine.objects.filter(cart=locked, variant=variant).first()
        have = line.quantity if line else 0
        total = have + count
        if total > MAX_QUANTITY:
            raise ValidationFailed(
                f"At most {MAX_QUANTITY} of one item per order.",
                fields={"quantity": [f"At most {MAX_QUANTITY} in total; {have} already in your cart."]},
            )
        _check_available(variant, wanted=total, have=have)
        if line is None:
            line = CartLine.objects.create(cart=locked, variant=variant, quantity=total)
        else:
            line.quantity = total
            line.save(update_fields=["quantity"])
        _touch(cart)
    return line


@dataclass(frozen=True)
class LineChange:
    """How a line's quantity moved: what a caller keeps a record of (analytics)."""

    variant: ProductVariant
    before: int
    after: int
    line: CartLine | None  # None once the line is gone

    @property
    def change(self) -> int:
        return self.after - self.before


def cart_line_set(*, cart: Cart, variant_id: int | str, quantity: int | str) -> LineChange:
    """Set the quantity of a line already in the cart; 0 removes it."""
    count = _parse_quantity(quantity, lowest=0)
    pk = _parse_id(variant_id)
    with transaction.atomic():
        locked = _lock_open(cart)
        line = (
            CartLine.objects.select_related("variant__product").filter(cart=locked, variant_id=pk).first()
            if pk is not None
            else None
        )
        if line is None:
            raise NotFound("That item is not in your cart.", fields={"variant_id": ["Not in your cart."]})
        before = line.quantity
        if count == 0:
            line.delete()
            _touch(cart)
            return LineChange(variant=line.variant, before=before, after=0, line=None)
        if not line.variant.product.is_published:
            raise ValidationFailed(NOT_FOR_SALE, fields={"quantity": [f"{NOT_FOR_SALE} Please remove it."]})
        _check_available(line.variant, wanted=count, have=0)
        line.quantity = count
        line.save(update_fields=["quantity"])
        _touch(cart)
    return LineChange(variant=line.variant, before=before, after=count, line=line)


def cart_set_quantity(*, cart: Cart, variant_id: int | str, quantity: int | str) -> CartLine | None:
    """Set the quantity of a line already in the cart; 0 removes it (and returns None)."""
    return cart_line_set(cart=cart, variant_id=variant_id, quantity=quantity).line


def cart_remove(*, cart: Cart, variant_id: int | str) -> LineChange:
    """Take a line out of the cart; NotFound if it is not there."""
    pk = _parse_id(variant_id)
    with transaction.atomic():
        locked = _lock_open(cart)
        line = (
            CartLine.objects.select_related("variant").filter(cart=locked, variant_id=pk).first()
            if pk
            else None
        )
        if line is None:
            raise NotFound("That item is not in your cart.", fields={"variant_id": ["Not in your cart."]})
        line.delete()
        _touch(cart)
    return LineChange(variant=line.variant, before=line.quantity, after=0, line=None)


def cart_clear(*, cart: Cart) -> None:
    """Remove every line; the cart stays open."""
    with transaction.atomic():
        locked = _lock_open(cart)
        CartLine.objects.filter(cart=locked).delete()
        _touch(cart)


def cart_merge(*, guest_cart: Cart, customer: User) -> Cart:
    """Move a guest cart's lines into the customer's open cart (created if needed) on login.

    Quantities of the same variant are summed and capped at what can be sold (and at 999),
    but a line the customer already had is never lowered; lines of products no longer on
    sale are dropped. The guest cart is marked merged, so its token finds nothing after.
    Merging a cart that is not an open guest cart changes nothing."""
    with transaction.atomic():
        guest = Cart.objects.select_for_update().filter(pk=guest_cart.pk).first()
        target = cart_for(customer=customer, create=True)
        assert target is not None  # create=True
        if guest is None or guest.status != Cart.Status.OPEN or guest.customer_id is not None:
            return target
        target = _lock_open(target)
        existing = {line.variant_id: line for line in CartLine.objects.filter(cart=target)}
        moving = CartLine.objects.filter(cart=guest).select_related("variant__product")
        for line in moving:
            variant = line.variant
            if not variant.product.is_published or variant.currency != target.currency:
                continue
            current = existing.get(variant.pk)
            had = current.quantity if current else 0
            ceiling = max(min(variant_available(variant_id=variant.pk), MAX_QUANTITY), had)
            merged = min(had + line.quantity, ceiling)
            if merged <= had:
                continue
            if current is None:
                CartLine.objects.create(cart=target, variant=variant, quantity=merged)
            else:
                current.quantity = merged
                current.save(update_fields=["quantity"])
        guest.status = Cart.Status.MERGED
        guest.save(update_fields=["status", "updated_at"])
        _touch(target)
    return target


# Helpers -----------------------------------------------------------------------------


def _lock_open(cart: Cart) -> Cart:
    """The cart's row, locked for this transaction; Conflict if it is no longer open."""
    locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
    if locked is None or locked.status != Cart.Status.OPEN:
        raise Conflict("This cart is closed; please start again.", code="cart_closed")
    return locked


def _touch(cart: Cart) -> None:
    now = timezone.now()
    Cart.objects.filter(pk=cart.pk).update(updated_at=now)
    cart.updated_at = now


def _parse_quantity(value: object, *, lowest: int) -> int:
    """A whole number from `lowest` to MAX_QUANTITY, from an int or form text."""
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        text = value.strip()
        # Long digit strings are out of range whatever they say; int() never has to read them.
        huge = len(text.lstrip("+-").lstrip("0")) > 6
        number = (-1 if text.startswith("-") else 1) * (MAX_QUANTITY + 1) if huge else int(text)
    if number is None:
        problem = "Enter a whole number."
    elif number < lowest:
        problem = "Enter at least 1." if lowest == 1 else "Enter 0 to remove the item, or more."
    elif number > MAX_QUANTITY:
        problem = f"Enter at most {MAX_QUANTITY}."
    else:
        return number
    raise ValidationFailed("The quantity is not valid.", fields={"quantity": [problem]})


def _parse_id(value: object) -> int | None:
    """A positive database id, or None for anything else (which then matches nothing)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 19 else None
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    return None


def _sellable_variant(variant_id: object) -> ProductVariant:
    pk = _parse_id(variant_id)
    variant = (
        ProductVariant.objects.select_related("product").filter(pk=pk, product__is_published=True).first()
        if pk is not None
        else None
    )
    if variant is None:
        # Unknown and unpublished read the same: ids reveal nothing about hidden products.
        raise ValidationFailed(NOT_FOR_SALE, fields={"variant_id": [NOT_FOR_SALE]})
    return variant


def _check_available(variant: ProductVariant, *, wanted: int, have: int) -> None:
    available = variant_available(variant_id=variant.pk)
    if wanted <= available:
        return
    if available <= 0:
        message = "Sorry, this is out of stock."
    else:
        message = f"Only {available} left."
        if have:
            message += f" You already have {have} in your cart."
    raise ValidationFailed(message, code="not_enough_stock", fields={"quantity": [message]})
