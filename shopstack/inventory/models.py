"""Where stock is: warehouses and the quantity of each variant held in each."""

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
    """Units of a variant in a warehouse. `allocated` units are promised to orders."""

    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="stocks")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks")
    quantity = models.PositiveIntegerField(default=0)
    allocated = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("variant", "warehouse"), name="stock_unique_variant_warehouse"),
            models.CheckConstraint(
                condition=models.Q(allocated__lte=models.F("quantity")),
                name="stock_allocated_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} @ {self.warehouse.slug}: {self.available}/{self.quantity}"

    @property
    def available(self) -> int:
        return self.quantity - self.allocated
