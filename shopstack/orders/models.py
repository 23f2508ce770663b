"""Orders, their lines and charges.

Issue 3 holds the imported order history; the checkout workflow (issue 4) adds to this.
A cancellation invoice from an outside system is an Order of kind CANCELLATION whose
lines count the units cancelled (positive numbers); analytics subtract them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Order(models.Model):
    class Kind(models.TextChoices):
        ORDER = "order", "Order"
        CANCELLATION = "cancellation", "Cancellation"

    class Status(models.TextChoices):
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ORDER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETED)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    email = models.EmailField(blank=True, help_text="Contact email; guests have no customer")
    country = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    subtotal_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    charges_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    placed_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=32, default="shop", help_text="shop, api, or import")

    class Meta:
        ordering = ("-placed_at",)

    def __str__(self) -> str:
        return self.number

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    # Kept as sold: a later rename or deletion of the product does not rewrite history.
    sku = models.CharField(max_length=64)
    product_name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price_amount = models.DecimalField(max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_name}"


class OrderCharge(models.Model):
    """Postage, fees and manual adjustments on an order: money, not products."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="charges")
    code = models.CharField(max_length=32)
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"
