"""Back office for the catalog. Bulk changes go through catalog.services, so prices are
rounded once, negative prices are refused and cached pages see the change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from shopstack.catalog.importing import CANONICAL_COLUMNS, REQUIRED_COLUMNS, HeaderError
from shopstack.catalog.importing import uploads as catalog_uploads
from shopstack.catalog.models import (
    Attribute,
    AttributeValue,
    Category,
    Product,
    ProductMedia,
    ProductType,
    ProductVariant,
)
from shopstack.catalog.services import (
    price_change_allowed,
    products_change_price,
    products_refresh,
    products_set_published,
)
from shopstack.core.admin_utils import csv_export_action
from shopstack.core.errors import DomainError, NotFound


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
    """Staff without the price permission see prices but cannot change them, nor add a
    variant (a new variant needs a price)."""

    model = ProductVariant
    extra = 0
    fields = ("sku", "name", "price_amount", "currency", "weight_grams", "position")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fixed = tuple(super().get_readonly_fields(request, obj))
        if price_change_allowed(request.user):
            return fixed
        return (*fixed, "price_amount", "currency")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return price_change_allowed(request.user) and super().has_add_permission(request, obj)


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


class CatalogUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, with a header row (docs/import-catalog.md).")


class CatalogMappingForm(forms.Form):
    """One choice per canonical column: which of the file's columns holds it."""

    def __init__(self, headers: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        by_name = {header.lower(): header for header in reversed(headers) if header}
        choices = [("", "(not in the file)"), *((header, header) for header in headers if header)]
        for column in CANONICAL_COLUMNS:
            self.fields[column] = forms.ChoiceField(
                label=f"{column} (required)" if column in REQUIRED_COLUMNS else column,
                choices=choices,
                required=False,
                initial=by_name.get(column, ""),
            )

    def mapping(self) -> dict[str, str]:
        return {column: self.cleaned_data.get(column) or "" for column in CANONICAL_COLUMNS}


def _form_errors(form: forms.Form, error: DomainError) -> None:
    form.add_error(None, error.message)
    for field_name, messages_ in error.fields.items():
        for message in messages_:
            form.add_error(None, f"{field_name}: {message}")


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

    # --- CSV import (the rules are in catalog.importing; these views only wire them) -----------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_upload_view), name="catalog_product_import"),
            path("import/<str:token>/", wrap(self.import_map_view), name="catalog_product_import_map"),
            path(
                "import/<str:token>/status/",
                wrap(self.import_status_view),
                name="catalog_product_import_status",
            ),
            path("import/<str:token>/file/", wrap(self.import_file_view), name="catalog_product_import_file"),
            *super().get_urls(),
        ]

    def _check_import_permission(self, request: HttpRequest) -> None:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied

    def _import_page(
        self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
    ) -> TemplateResponse:
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, **context}
        return TemplateResponse(request, f"admin/catalog/product/{template}", context, status=status)

    def import_upload_view(self, request: HttpRequest) -> HttpResponse:
        self._check_import_permission(request)
        form = CatalogUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                token, _ = catalog_uploads.upload_store(file=form.cleaned_data["file"])
            except DomainError as error:
                form.add_error("file", error.message)
                for messages_ in error.fields.values():
                    for message in messages_:
                        form.add_error("file", message)
            else:
                return HttpResponseRedirect(reverse("admin:catalog_product_import_map", args=[token]))
        context = {
            "title": "Import products from CSV",
            "form": form,
            "max_mb": catalog_uploads.max_upload_bytes() // (1024 * 1024),
        }
        return self._import_page(request, "import_upload.html", context, status=400 if form.errors else 200)

    def import_map_view(self, request: HttpRequest, token: str) -> HttpResponse:
        self._check_import_permission(request)
        try:
            headers = catalog_uploads.upload_header(token=token)
            size = catalog_uploads.upload_size(token=token)
        except NotFound as error:
            raise Http404(error.message) from error
        form = CatalogMappingForm(headers, request.POST or None)
        context: dict[str, Any] = {
            "title": "Map the file's columns",
            "form": form,
            "headers": headers,
            "size": size,
            "file_url": reverse("admin:catalog_product_import_file", args=[token]),
        }
        if request.method == "POST" and form.is_valid():
            mapping = form.mapping()
            try:
                if request.POST.get("action") == "import":
                    if size <= catalog_uploads.inline_max_bytes():
                        report = catalog_uploads.upload_import(
                            token=token, mapping=mapping, actor=request.user
                        )
                        context |= {"title": "Import finished", "report": report.as_dict(), "state": "done"}
                        return self._import_page(request, "import_status.html", context)
                    catalog_uploads.upload_import_request(token=token, mapping=mapping, actor=request.user)
                    return HttpResponseRedirect(reverse("admin:catalog_product_import_status", args=[token]))
                report, whole = catalog_uploads.upload_preview(
                    token=token, mapping=mapping, actor=request.user
                )
                context |= {
                    "preview": report.as_dict(),
                    "whole": whole,
                    "preview_rows": catalog_uploads.PREVIEW_ROWS,
                }
            except HeaderError as error:
                _form_errors(form, error)
        status = 400 if form.errors else 200
        return self._import_page(request, "import_map.html", context, status=status)

    def import_file_view(self, request: HttpRequest, token: str) -> HttpResponse:
        """The uploaded file, to staff who may import only, until its import ends."""
        self._check_import_permission(request)
        try:
            stream = catalog_uploads.upload_open(token=token)
        except NotFound as error:
            raise Http404(error.message) from error
        response = FileResponse(
            stream,
            as_attachment=True,
            filename=f"catalog-{token}.csv",
            content_type="text/csv; charset=utf-8",
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def import_status_view(self, request: HttpRequest, token: str) -> HttpResponse:
        self._check_import_permission(request)
        try:
            status = catalog_uploads.upload_status(token=token)
        except NotFound as error:
            raise Http404(error.message) from error
        total = int(status.get("bytes_total") or 0)
        context = {
            "title": "Import progress" if status.get("state") in {"queued", "running"} else "Import finished",
            "state": status.get("state"),
            "report": status.get("report"),
            "error": status.get("error", ""),
            "percent": int(100 * int(status.get("bytes_done") or 0) / total) if total else 0,
        }
        return self._import_page(request, "import_status.html", context)

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

    def has_change_price_permission(self, request: HttpRequest) -> bool:
        return price_change_allowed(request.user)

    @admin.action(description="Change the price of selected products", permissions=["change_price"])
    def change_price(self, request: HttpRequest, queryset: QuerySet[Product]) -> HttpResponse | None:
        """First call shows a form; the form posts back to this action with `apply` set."""
        form = PriceChangeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            value = form.cleaned_data["value"]
            change = {"percent": value} if form.cleaned_data["mode"] == "percent" else {"amount": value}
            try:
                count = products_change_price(product_ids=_ids(queryset), actor=request.user, **change)
            except DomainError as error:
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
