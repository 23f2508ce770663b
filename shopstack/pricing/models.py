"""Pricing: tax classes and rates by destination, the shop's tax setting, and vouchers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper

from shopstack.catalog.models import Product


class TaxClass(models.Model):
    """A kind of goods for tax purposes; products without a ProductTaxClass use the default one."""

    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=32, unique=True, help_text="standard, reduced, zero, ...")
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ("name",)
        verbose_name_plural = "tax classes"
        constraints = [
            models.UniqueConstraint(
                fields=("is_default",), condition=models.Q(is_default=True), name="tax_class_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """The rate of one class in one country, or in one region of it (ISO 3166-2, e.g. ES-CN)."""

    tax_class = models.ForeignKey(TaxClass, on_delete=models.CASCADE, related_name="rates")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. GB")
    region = models.CharField(max_length=16, blank=True, help_text="Blank means the whole country")
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent, e.g. 20.00",
    )

    class Meta:
        ordering = ("country", "region", "tax_class__name")
        constraints = [
            models.UniqueConstraint(fields=("tax_class", "country", "region"), name="tax_rate_unique"),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="tax_rate_percentage"
            ),
        ]

    def __str__(self) -> str:
        where = f"{self.country}/{self.region}" if self.region else self.country
        return f"{self.tax_class}: {where} {self.rate}%"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.country = self.country.strip().upper()
        self.region = self.region.strip().upper()
        super().save(*args, **kwargs)


class ProductTaxClass(models.Model):
    """Which tax class a product is in; kept here so that catalog knows nothing of tax."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="tax_class_link")
    tax_class = models.ForeignKey(TaxClass, on_delete=models.PROTECT, related_name="products")

    class Meta:
        verbose_name = "product tax class"

    def __str__(self) -> str:
        return f"{self.product_id}: {self.tax_class}"


class PricingSettings(models.Model):
    """One row (pk 1): how catalogue prices are to be read."""

    prices_include_tax = models.BooleanField(
        default=True,
        help_text="Catalogue prices include tax (UK VAT style). Off: prices are net and tax is added.",
    )

    class Meta:
        verbose_name = "pricing settings"
        verbose_name_plural = "pricing settings"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="pricing_settings_singleton")]

    def __str__(self) -> str:
        return "Pricing settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)


class Voucher(models.Model):
    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage off the goods"
        FIXED_AMOUNT = "fixed_amount", "Fixed amount off the goods"
        FREE_SHIPPING = "free_shipping", "Free shipping"

    code = models.CharField(
        max_length=32, unique=True, help_text="Matched case-insensitively; stored upper-case"
    )
    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Percent for percentage vouchers, an amount in the shop currency for fixed ones",
    )
    min_spend = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Total uses; blank = unlimited"
    )
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True)
    used_count = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(condition=models.Q(code=Upper("code")), name="voucher_code_upper"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="voucher_value_not_negative"),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Before the unique and constraint checks, so "summer10" is checked as SUMMER10.
        self.code = self.code.strip().upper()
        errors: dict[str, str] = {}
        if self.kind == self.Kind.PERCENTAGE and not (Decimal("0") < self.value <= Decimal("100")):
            errors["value"] = "A percentage must be more than 0 and at most 100."
        if self.kind == self.Kind.FIXED_AMOUNT and self.value <= 0:
            errors["value"] = "A fixed amount must be more than 0."
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The end must be after the start."
        if errors:
            raise ValidationError(errors)


class VoucherRedemption(models.Model):
    """A voucher used by one order. A released redemption (order cancelled) no longer counts."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    order_ref = models.CharField(max_length=64, db_index=True)
    customer_key = models.CharField(max_length=260, help_text='"user:12" or "email:a@b.c"')
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=("voucher", "order_ref"), name="voucher_redemption_once_per_order")
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} for {self.order_ref}"


class VoucherCustomerUsage(models.Model):
    """How many active redemptions one customer holds of one voucher (a counter for limits)."""

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="customer_usages")
    customer_key = models.CharField(max_length=260)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("voucher", "customer_key"), name="voucher_customer_usage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} {self.customer_key}: {self.count}"
