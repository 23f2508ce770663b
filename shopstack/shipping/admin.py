"""Back office for where the shop ships to and what it charges."""

from __future__ import annotations

from django.contrib import admin

from shopstack.shipping.models import ShippingMethod, ShippingRate, ShippingZone


class ShippingMethodInline(admin.TabularInline):
    model = ShippingMethod
    fields = ("name", "code", "kind", "is_active", "free_over", "min_days", "max_days", "position")
    extra = 0
    show_change_link = True


@admin.register(ShippingZone)
class ShippingZoneAdmin(admin.ModelAdmin):
    list_display = ("name", "is_rest_of_world", "country_list")
    search_fields = ("name",)
    inlines = (ShippingMethodInline,)

    @admin.display(description="countries")
    def country_list(self, obj: ShippingZone) -> str:
        return ", ".join(obj.countries or []) or ("all others" if obj.is_rest_of_world else "none")


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    fields = ("min_value", "max_value", "price")
    extra = 1


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "zone",
        "kind",
        "is_active",
        "free_over",
        "min_days",
        "max_days",
        "position",
    )
    list_filter = ("zone", "kind", "is_active")
    list_select_related = ("zone",)
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    inlines = (ShippingRateInline,)
