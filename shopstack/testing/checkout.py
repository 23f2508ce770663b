"""Factories for checkout tests (services, pages, API, browser): a cart of stocked products
taken to any step of checkout, with the seeded tax rates and default shipping zones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shopstack.catalog.models import Product
from shopstack.checkout.models import Checkout
from shopstack.checkout.services import (
    checkout_set_address,
    checkout_set_contact,
    checkout_set_shipping,
    checkout_set_voucher,
    checkout_start,
)
from shopstack.shipping.models import ShippingMethod, ShippingZone
from shopstack.testing.cart import make_cart
from shopstack.testing.factories import make_product
from shopstack.testing.pricing import ensure_tax_seed
from shopstack.testing.shipping import install_default_zones

if TYPE_CHECKING:
    from shopstack.accounts.models import User

ADDRESS: dict[str, str] = {
    "full_name": "Ann Example",
    "line1": "1 High Street",
    "city": "London",
    "postal_code": "SW1A 1AA",
    "country": "GB",
}
FRENCH_ADDRESS: dict[str, str] = {
    "full_name": "Anne Exemple",
    "line1": "2 rue de la Paix",
    "city": "Paris",
    "postal_code": "75002",
    "country": "FR",
}
EMAIL = "ann@example.com"


def ensure_checkout_data() -> None:
    """Tax rates and the default shipping zones (a transactional test's flush removes them)."""
    ensure_tax_seed()
    if not ShippingZone.objects.exists():
        install_default_zones()


def method(code: str) -> ShippingMethod:
    """A default shipping method by code: uk-standard (3.95 to 1 kg, free over 50),
    uk-express (9.95), europe-standard (7.95), world-standard (12.95)."""
    return ShippingMethod.objects.get(code=code)


def make_checkout(
    *,
    lines: dict[Product, int] | None = None,
    customer: User | None = None,
    email: str | None = EMAIL,
    address: dict[str, str] | None = ADDRESS,
    shipping: str | None = "uk-standard",
    voucher: str | None = None,
    payment_token: str | None = None,
) -> Checkout:
    """A started checkout (stock reserved) of a cart holding `lines` (default: one product
    at 10.00, two units), taken through the steps that are given a value."""
    ensure_checkout_data()
    if lines is None:
        lines = {make_product(name="Enamel mug", price="10.00", stock=10): 2}
    cart = make_cart(customer=customer, lines=lines)
    checkout = checkout_start(cart=cart, customer=customer)
    if email and customer is None:
        checkout_set_contact(checkout=checkout, email=email)
    if address:
        checkout_set_address(checkout=checkout, shipping=address, billing=None)
    if shipping:
        checkout_set_shipping(checkout=checkout, method_id=method(shipping).pk)
    if voucher:
        checkout_set_voucher(checkout=checkout, code=voucher)
    if payment_token:
        Checkout.objects.filter(pk=checkout.pk).update(payment_token=payment_token)
        checkout.payment_token = payment_token
    return checkout


def checkout_state(checkout: Checkout) -> dict[str, Any]:
    """What a refused step must leave untouched, read from the database."""
    row = Checkout.objects.get(pk=checkout.pk)
    return {
        "email": row.email,
        "shipping_address": row.shipping_address,
        "billing_address": row.billing_address,
        "shipping_method_id": row.shipping_method_id,
        "voucher_code": row.voucher_code,
        "payment_token": row.payment_token,
        "status": row.status,
        "place_key": row.place_key,
    }
