"""Back office for orders: read-mostly. History is imported or written by the order
workflow; staff may look, filter, export and correct the status, nothing that moves money."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shopstack.core.admin_utils import csv_export_action
from shopstack.orders.models import Order, OrderCharge, OrderLine


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = ("sku", "product_name", "quantity", "unit_price_amount", "total_amount")
    readonly_fields = fields


class OrderChargeInline(_ReadOnlyInline):
    model = OrderCharge
    fields = ("code", "description", "amount")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "placed_at",
        "kind",
        "status",
        "email",
        "country",
        "total_amount",
        "currency",
        "source",
    )
    list_filter = ("kind", "status", "source", "country")
    search_fields = ("=number", "email")
    date_hierarchy = "placed_at"
    list_select_related = ("customer",)
    # A COUNT(*) over every order on each page view is the slowest query on this page.
    show_full_result_count = False
    list_per_page = 50
    raw_id_fields = ("customer",)
    readonly_fields = (
        "number",
        "kind",
        "customer",
        "email",
        "country",
        "currency",
        "subtotal_amount",
        "charges_amount",
        "total_amount",
        "placed_at",
        "source",
    )
    fields = (*readonly_fields[:5], "status", *readonly_fields[5:])
    inlines = (OrderLineInline, OrderChargeInline)
    actions = (
        csv_export_action(
            [
                ("number", "number"),
                ("kind", "kind"),
                ("status", "status"),
                ("placed_at", "placed_at"),
                ("email", "email"),
                ("country", "country"),
                ("currency", "currency"),
                ("subtotal", "subtotal_amount"),
                ("charges", "charges_amount"),
                ("total", "total_amount"),
                ("source", "source"),
            ],
            name="orders",
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False
