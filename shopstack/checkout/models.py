"""Carts and checkouts.

A cart lives in the database so it survives restarts and any web process can serve it.
Guests hold it through a signed copy of `token` (in the session for the storefront, in
the `X-Cart-Token` header for apps); a signed-in customer has at most one open cart.
Lines hold ids and quantities only: prices are always read from the catalog.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from shopstack.catalog.models import ProductVariant


class Cart(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONVERTED = "converted", "Converted to an order"
        MERGED = "merged", "Merged into a customer's cart"
        ABANDONED = "abandoned", "Abandoned"

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="carts"
    )
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One open cart per customer; the database settles two logins racing.
            models.UniqueConstraint(
                fields=("customer",),
                condition=models.Q(status="open", customer__isnull=False),
                name="cart_one_open_per_customer",
            )
        ]
        indexes = [models.Index(fields=("status", "updated_at"), name="cart_status_updated")]

    def __str__(self) -> str:
        return f"Cart {self.pk} ({self.status})"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("added_at", "id")
        constraints = [
            models.UniqueConstraint(fields=("cart", "variant"), name="cart_line_unique_variant"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x variant {self.variant_id}"


class Checkout(models.Model):
    """One shopper's way from a cart to an order: contact, addresses, shipping method,
    voucher and the gateway's card token. Amounts are never stored here: every page and
    the order itself price the cart again on the server.

    Addresses are snapshots (validated dicts), not links to the address book: editing an
    account address later must not move a parcel already on its way. The stock the cart
    needs is reserved under `reservation_ref` until `reserved_until`."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PLACED = "placed", "Placed"
        ABANDONED = "abandoned", "Abandoned"

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="checkouts")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="checkouts"
    )
    email = models.EmailField(blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    billing_address = models.JSONField(default=dict, blank=True, help_text="Empty: same as shipping")
    shipping_method_id = models.PositiveBigIntegerField(null=True, blank=True)
    voucher_code = models.CharField(max_length=64, blank=True)
    payment_token = models.CharField(max_length=128, blank=True, help_text="The gateway's card token")
    payment_last4 = models.CharField(max_length=4, blank=True)
    payment_brand = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # The idempotency key of the placement under way or done: a second key is refused.
    place_key = models.CharField(max_length=128, blank=True)
    order_number = models.CharField(max_length=32, blank=True)
    reserved_lines = models.JSONField(default=list, blank=True, help_text="[[variant id, quantity], ...]")
    reserved_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One checkout in progress per cart, so one reservation holds the cart's stock.
            models.UniqueConstraint(
                fields=("cart",), condition=models.Q(status="open"), name="checkout_one_open_per_cart"
            )
        ]
        indexes = [models.Index(fields=("status", "updated_at"), name="checkout_status_updated")]

    def __str__(self) -> str:
        return f"Checkout {self.token} ({self.status})"

    @property
    def reservation_ref(self) -> str:
        return f"checkout:{self.token}"
