"""Factories for order tests: drafts priced on the server like checkout's, and workers."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from decimal import Decimal

from shopstack.catalog.models import ProductVariant
from shopstack.inventory.services import stock_reserve
from shopstack.orders.drafts import DraftAddress, DraftLine, OrderDraft
from shopstack.pricing.calculation import LineInput
from shopstack.pricing.services import price_cart, voucher_customer_key

_counter = itertools.count(1)

ADDRESS = DraftAddress(
    full_name="Ada Buyer", line1="1 High Street", city="London", postal_code="N1 1AA", country="GB"
)


def make_draft(
    variants: Sequence[tuple[ProductVariant, int]],
    *,
    token: str = "tok_success",
    email: str = "buyer@example.com",
    customer_id: int | None = None,
    voucher_code: str | None = None,
    shipping_price: Decimal = Decimal("4.99"),
    checkout_ref: str | None = None,
    reserve: bool = True,
    return_url: str = "",
) -> OrderDraft:
    """A draft for these (variant, quantity) lines, priced by pricing as checkout does;
    with `reserve` the checkout's reservation is made first, as checkout would."""
    checkout_ref = checkout_ref or f"checkout:test-{next(_counter)}-{secrets.token_hex(4)}"
    if reserve:
        stock_reserve(ref=checkout_ref, lines=[(variant.pk, quantity) for variant, quantity in variants])
    customer_key = voucher_customer_key(user_id=customer_id, email=email)
    priced = price_cart(
        lines=[LineInput(variant.pk, quantity) for variant, quantity in variants],
        country="GB",
        shipping_price=shipping_price,
        voucher_code=voucher_code,
        customer_key=customer_key,
    )
    shipping_paid = priced.shipping - priced.shipping_discount
    return OrderDraft(
        checkout_ref=checkout_ref,
        email=email,
        currency=priced.currency,
        lines=tuple(
            DraftLine(
                variant_id=line.variant_id,
                sku=line.sku,
                product_name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                net=line.net,
                tax=line.tax,
                gross=line.gross,
                tax_rate=line.tax_rate,
            )
            for line in priced.lines
        ),
        shipping_address=ADDRESS,
        billing_address=ADDRESS,
        shipping_method_id=None,
        shipping_method_name="Standard",
        shipping_price=shipping_paid,
        shipping_tax=priced.shipping_tax,
        subtotal=priced.subtotal,
        discount=priced.discount,
        tax=priced.tax,
        total=priced.total,
        payment_token=token,
        customer_id=customer_id,
        voucher_code=voucher_code,
        weight_grams=500,
        payment_return_url=return_url,
    )


# Transactional tests (threads, the live server, workers) flush only what orders touch: a
# whole-database flush trips over tables other contexts create outside migrations.
ORDER_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "shopstack.accounts",
    "shopstack.core",
    "shopstack.catalog",
    "shopstack.inventory",
    "shopstack.pricing",
    "shopstack.shipping",
    "shopstack.payments",
    "shopstack.orders",
    "shopstack.checkout",
    "shopstack.notifications",  # reacts to order events (emails)
    "shopstack.storefront",  # template tags of those emails
    "django_tasks_db",
]
