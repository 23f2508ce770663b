"""Back office for warehouses and stock counts. Quantities are set through
inventory.services.stock_set_quantity, which refreshes the product's stock flag and
moves its `updated_at` so cached pages show the new availability. Reservations and
allocations are shown read-only: checkouts and orders change them through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from shopstack.core.admin_utils import csv_export_action
from shopstack.inventory.models import Allocation, Reservation, Stock, Warehouse
from shopstack.inventory.services import stock_change_allowed, stock_set_quantity


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "country", "city", "is_active")
    list_filter = ("is_active", "country")
    search_fields = ("name", "slug", "city")
    prepopulated_fields = {"slug": ("name",)}


class StockForm(forms.ModelForm):
    class Meta:
        model = Stock
        fields = ("variant", "warehouse", "quantity")

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        allocated = self.instance.allocated if self.instance.pk else 0
        if quantity is not None and quantity < allocated:
            raise forms.ValidationError(
                f"{allocated} units are allocated to orders; the count cannot be lower."
            )
        return quantity


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    form = StockForm
    list_display = ("variant", "warehouse", "quantity", "allocated", "reserved", "available", "updated_at")
    list_editable = ("quantity",)
    list_filter = ("warehouse",)
    list_select_related = ("variant__product", "warehouse")
    search_fields = ("variant__sku", "variant__product__name", "variant__product__code")
    raw_id_fields = ("variant",)
    readonly_fields = ("allocated", "reserved", "updated_at")
    show_full_result_count = False
    actions = (
        csv_export_action(
            [
                ("sku", "variant__sku"),
                ("warehouse", "warehouse__slug"),
                ("quantity", "quantity"),
                ("allocated", "allocated"),
                ("reserved", "reserved"),
            ],
            name="stock",
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A new stock row is a stock count: it needs the permission to change stock as well.
        return stock_change_allowed(request.user) and super().has_add_permission(request)

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        kwargs.setdefault("form", StockForm)
        return super().get_changelist_form(request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Stock | None = None) -> tuple[str, ...]:
        # Which variant and warehouse a stock row counts is fixed once it exists.
        fixed = ("variant", "warehouse") if obj is not None else ()
        return (*fixed, *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Stock, form: forms.ModelForm, change: bool) -> None:
        stock = stock_set_quantity(
            variant=obj.variant, warehouse=obj.warehouse, quantity=obj.quantity, actor=request.user
        )
        obj.pk = stock.pk
        obj.allocated = stock.allocated
        obj.reserved = stock.reserved
        obj.updated_at = stock.updated_at

    def get_queryset(self, request: HttpRequest) -> QuerySet[Stock]:
        return super().get_queryset(request).select_related("variant__product", "warehouse")

    @admin.display(description="available")
    def available(self, obj: Stock) -> int:
        return obj.available


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Reservations and allocations change only through inventory.services; staff see them."""

    list_select_related = ("variant__product", "warehouse")
    raw_id_fields = ("variant",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reservation)
class ReservationAdmin(_ReadOnlyAdmin):
    list_display = ("ref", "variant", "warehouse", "quantity", "status", "expires_at", "created_at")
    list_filter = ("status", "warehouse")
    search_fields = ("ref", "variant__sku")
    date_hierarchy = "created_at"


@admin.register(Allocation)
class AllocationAdmin(_ReadOnlyAdmin):
    list_display = (
        "order_ref",
        "line_ref",
        "variant",
        "warehouse",
        "quantity",
        "returned_quantity",
        "status",
        "created_at",
    )
    list_filter = ("status", "warehouse")
    search_fields = ("order_ref", "line_ref", "variant__sku")
    date_hierarchy = "created_at"
