"""Back office for the catalog. Bulk changes go through catalog.services, so prices are
rounded once, negative prices are refused and cached pages see the change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from shopstack.catalog.models import (
    Attribute,
    AttributeValue,
    Category,
    Product,
    ProductMedia,
    ProductType,
    ProductVariant,
)
from shopstack.catalog.services import products_change_price, products_refresh, products_set_published
from shopstack.core.admin_utils import csv_export_action
from shopstack.core.errors import ValidationFailed


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "position", "is_published")
    list_filter = ("is_published", ("parent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    extra = 0
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "filterable")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (AttributeValueInline,)


@admin.register(AttributeValue)
class AttributeValueAdmin(admin.ModelAdmin):
    list_display = ("name", "attribute", "position")
    list_filter = ("attribute",)
    list_select_related = ("attribute",)
    search_fields = ("name", "slug", "attribute__name")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "has_variants")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("product_attributes", "variant_attributes")


class ProductVariantInline(admin.TabularInline):
    model = ProductVariant
    extra = 0
    fields = ("sku", "name", "price_amount", "currency", "weight_grams", "position")


class ProductMediaInline(admin.TabularInline):
    model = ProductMedia
    extra = 0
    fields = ("image", "alt", "position")


class PriceChangeForm(forms.Form):
    MODES = (("percent", "By a percentage (e.g. -10 for 10% off)"), ("amount", "By an amount (e.g. 1.50)"))

    mode = forms.ChoiceField(choices=MODES, widget=forms.RadioSelect, initial="percent")
    value = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("-100000"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        value = cleaned.get("value")
        if value is not None and value == 0:
            self.add_error("value", "A change of zero changes nothing.")
        if cleaned.get("mode") == "percent" and value is not None and value <= -100:
            self.add_error("value", "A reduction must be less than 100%.")
        return cleaned


def _ids(queryset: QuerySet[Product]) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "category", "price_amount", "in_stock", "is_published", "units_sold")
    list_filter = (
        "is_published",
        "is_featured",
        "in_stock",
        ("category", admin.RelatedOnlyFieldListFilter),
        "product_type",
    )
    list_select_related = ("category",)
    search_fields = ("name", "code", "variants__sku", "search_aliases")
    autocomplete_fields = ("category", "categories", "attribute_values")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("price_amount", "in_stock", "units_sold", "published_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "code", "product_type", "description", "search_aliases")}),
        (
            "Placement",
            {"fields": ("category", "categories", "attribute_values", "is_published", "is_featured")},
        ),
        ("Search engines", {"classes": ("collapse",), "fields": ("seo_title", "seo_description")}),
        (
            "Maintained by the shop",
            {
                "fields": (
                    "price_amount",
                    "in_stock",
                    "units_sold",
                    "published_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )
    inlines = (ProductVariantInline, ProductMediaInline)
    actions = ("publish", "unpublish", "change_price", "export_csv")
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "is_published" in form.changed_data or not change:
            products_set_published(product_ids=[obj.pk], published=obj.is_published)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Variants may have changed: recompute the listing price and stock flag.
        products_refresh(product_ids=[form.instance.pk])

    @admin.action(description="Publish selected products", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = products_set_published(product_ids=_ids(queryset), published=True)
        self.message_user(request, f"{count} products published.", messages.SUCCESS)

    @admin.action(description="Unpublish selected products", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = products_set_published(product_ids=_ids(queryset), published=False)
        self.message_user(request, f"{count} products unpublished.", messages.SUCCESS)

    @admin.action(description="Change the price of selected products", permissions=["change"])
    def change_price(self, request: HttpRequest, queryset: QuerySet[Product]) -> HttpResponse | None:
        """First call shows a form; the form posts back to this action with `apply` set."""
        form = PriceChangeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            value = form.cleaned_data["value"]
            change = {"percent": value} if form.cleaned_data["mode"] == "percent" else {"amount": value}
            try:
                count = products_change_price(product_ids=_ids(queryset), **change)
            except ValidationFailed as error:
                for message in [error.message, *(m for ms in error.fields.values() for m in ms)]:
                    form.add_error(None, message)
            else:
                self.message_user(request, f"Prices of {count} variants changed.", messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Change prices",
            "opts": self.model._meta,
            "form": form,
            "products": queryset[:50],
            "count": queryset.count(),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/catalog/product/change_price.html", context, status=400 if form.errors else 200
        )

    export_csv = csv_export_action(
        [
            ("code", "code"),
            ("name", "name"),
            ("category", "category__name"),
            ("price", "price_amount"),
            ("currency", "currency"),
            ("in_stock", "in_stock"),
            ("is_published", "is_published"),
            ("units_sold", "units_sold"),
            ("aliases", lambda p: "; ".join(p.search_aliases or [])),
        ],
        name="products",
    )
