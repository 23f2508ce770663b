"""Carts (and, later, checkouts).

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
