"""Back office for tax and vouchers. Redemptions and usage counters are written only by
pricing.services (so that limits hold under concurrency): here they are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shopstack.pricing.models import (
    PricingSettings,
    ProductTaxClass,
    TaxClass,
    TaxRate,
    Voucher,
    VoucherRedemption,
)


class TaxRateInline(admin.TabularInline):
    model = TaxRate
    extra = 0
    fields = ("country", "region", "rate")
    ordering = ("country", "region")


@admin.register(TaxClass)
class TaxClassAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_default")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (TaxRateInline,)


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("country", "region", "tax_class", "rate")
    list_filter = ("tax_class", "country")
    list_select_related = ("tax_class",)
    search_fields = ("country", "region")


@admin.register(PricingSettings)
class PricingSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "prices_include_tax")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PricingSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProductTaxClass)
class ProductTaxClassAdmin(admin.ModelAdmin):
    list_display = ("product", "tax_class")
    list_filter = ("tax_class",)
    list_select_related = ("product", "tax_class")
    search_fields = ("product__name", "product__code")
    autocomplete_fields = ("product",)


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "value",
        "used_count",
        "usage_limit",
        "per_customer_limit",
        "starts_at",
        "ends_at",
        "is_active",
    )
    list_filter = ("is_active", "kind")
    search_fields = ("code", "name")
    readonly_fields = ("used_count", "created_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "value", "min_spend", "is_active")}),
        ("When", {"fields": ("starts_at", "ends_at")}),
        ("Limits", {"fields": ("usage_limit", "per_customer_limit", "used_count", "created_at")}),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Voucher | None = None) -> bool:
        # A used voucher is part of order history (redemptions protect it); withdraw it instead.
        if obj is not None and obj.used_count:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(VoucherRedemption)
class VoucherRedemptionAdmin(admin.ModelAdmin):
    list_display = ("voucher", "order_ref", "customer_key", "created_at", "released_at")
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    list_select_related = ("voucher",)
    search_fields = ("order_ref", "customer_key", "voucher__code")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
