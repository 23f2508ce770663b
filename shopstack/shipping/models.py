"""Shipping zones, methods and their rates. Prices are in settings.SHOP_CURRENCY."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from shopstack.accounts.countries import is_country_code


class ShippingZone(models.Model):
    """Countries shipped to alike. A rest-of-world zone covers every country that no other
    zone names."""

    name = models.CharField(max_length=100)
    countries = models.JSONField(default=list, blank=True, help_text="ISO 3166-1 alpha-2 codes")
    is_rest_of_world = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        codes = self.countries if isinstance(self.countries, list) else None
        if codes is None or not all(isinstance(code, str) for code in codes):
            raise ValidationError({"countries": 'A list of country codes, e.g. ["GB", "IE"].'})
        self.countries = sorted({code.strip().upper() for code in codes})
        unknown = [code for code in self.countries if not is_country_code(code)]
        if unknown:
            raise ValidationError({"countries": f"Not ISO 3166-1 alpha-2 codes: {', '.join(unknown)}."})


class ShippingMethod(models.Model):
    class Kind(models.TextChoices):
        BY_WEIGHT = "by_weight", "By weight (grams)"
        BY_ORDER_VALUE = "by_order_value", "By order value"

    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="methods")
    name = models.CharField(max_length=100)
    code = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BY_WEIGHT)
    is_active = models.BooleanField(default=True)
    free_over = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Free from this order value on"
    )
    min_days = models.PositiveSmallIntegerField(default=1)
    max_days = models.PositiveSmallIntegerField(default=3)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "pk")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_days__lte=models.F("max_days")), name="shipping_method_days_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.zone}: {self.name}"


class ShippingRate(models.Model):
    """The price for values from `min_value` up to and including `max_value` (no upper
    bound when empty). The value is grams or order subtotal, by the method's kind."""

    method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="rates")
    min_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    max_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ("min_value", "pk")
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="shipping_rate_price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(max_value__isnull=True) | models.Q(max_value__gte=models.F("min_value")),
                name="shipping_rate_range_in_order",
            ),
        ]

    def __str__(self) -> str:
        upper = "" if self.max_value is None else f"{self.max_value}"
        return f"{self.min_value}-{upper}: {self.price}"
