"""Factories for carts in tests across contexts (checkout, API, pages, browser)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shopstack.catalog.models import Product, ProductVariant
from shopstack.checkout.models import Cart, CartLine
from shopstack.checkout.services import cart_token_sign

if TYPE_CHECKING:
    from shopstack.accounts.models import User


def variant_of(product: Product) -> ProductVariant:
    """The one variant `make_product` gives a product."""
    return product.variants.get()


def make_cart(
    *, customer: User | None = None, lines: dict[Product, int] | None = None, currency: str = "GBP"
) -> Cart:
    """An open cart holding `lines` (product -> quantity), written directly: no stock checks."""
    cart = Cart.objects.create(customer=customer, currency=currency)
    for product, quantity in (lines or {}).items():
        CartLine.objects.create(cart=cart, variant=variant_of(product), quantity=quantity)
    return cart


def cart_lines(cart: Cart) -> dict[str, int]:
    """The cart's lines as {sku: quantity}, read from the database."""
    return dict(CartLine.objects.filter(cart=cart).values_list("variant__sku", "quantity"))


def signed_token(cart: Cart) -> str:
    return cart_token_sign(cart=cart)
