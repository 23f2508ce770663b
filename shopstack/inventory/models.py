"""Where stock is: warehouses, the units of each variant held in each, and the units
promised from them: reserved for a checkout in progress (for a while) or allocated to an
order (until shipped or released).

References to checkouts and orders are plain strings ("checkout:<token>", an order
number): inventory never imports the contexts that hold them.
"""

from __future__ import annotations

from django.db import models

from shopstack.catalog.models import ProductVariant


class Warehouse(models.Model):
    name = models.CharField(max_length=128)
    slug = models.SlugField(max_length=64, unique=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code")
    city = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class Stock(models.Model):
    """Units of a variant in a warehouse. `allocated` units are promised to orders and
    `reserved` units to checkouts in progress; neither may be sold again."""

    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="stocks")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks")
    quantity = models.PositiveIntegerField(default=0)
    allocated = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("variant", "warehouse"), name="stock_unique_variant_warehouse"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=models.F("allocated") + models.F("reserved")),
                name="stock_promised_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} @ {self.warehouse.slug}: {self.available}/{self.quantity}"

    @property
    def available(self) -> int:
        return self.quantity - self.allocated - self.reserved


class Reservation(models.Model):
    """Units held for a checkout until `expires_at`; converted into allocations when the
    order is placed, released when the cart changes, expired by a sweep."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        CONVERTED = "converted"
        RELEASED = "released"
        EXPIRED = "expired"

    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    ref = models.CharField(max_length=128, help_text='Who holds it, e.g. "checkout:<token>"')
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=("ref", "status"), name="reservation_ref_status"),
            models.Index(fields=("status", "expires_at"), name="reservation_status_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="reservation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ref}: {self.quantity} x variant {self.variant_id} ({self.status})"


class Allocation(models.Model):
    """Units of an order line taken from one warehouse. A line split over warehouses has
    one allocation per warehouse."""

    class Status(models.TextChoices):
        ALLOCATED = "allocated"
        SHIPPED = "shipped"
        RELEASED = "released"
        RETURNED = "returned"

    variant = models.ForeignKey(ProductVariant, on_delete=models.PROTECT, related_name="allocations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField()
    returned_quantity = models.PositiveIntegerField(default=0)
    order_ref = models.CharField(max_length=64)
    line_ref = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ALLOCATED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=("order_ref", "line_ref"), name="allocation_order_line")]
        constraints = [
            # Two racing allocations of one order cannot both write a line's row.
            models.UniqueConstraint(
                fields=("order_ref", "line_ref", "warehouse"), name="allocation_unique_line_warehouse"
            ),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="allocation_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(returned_quantity__lte=models.F("quantity")),
                name="allocation_returned_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.order_ref}/{self.line_ref}: {self.quantity} x variant {self.variant_id} ({self.status})"
        )
