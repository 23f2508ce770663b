"""Staff tools for search: synonyms, pinned and boosted products, and the search log
with the top queries and the queries that found nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from shopstack.search import selectors
from shopstack.search.models import MerchandisingRule, SearchQuery, Synonym


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("words", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("words",)


@admin.register(MerchandisingRule)
class MerchandisingRuleAdmin(admin.ModelAdmin):
    list_display = ("query", "product", "action", "position", "is_active")
    list_filter = ("action", "is_active")
    search_fields = ("query", "product__name", "product__code")
    autocomplete_fields = ("product",)
    ordering = ("query", "position")


@admin.register(SearchQuery)
class SearchQueryAdmin(admin.ModelAdmin):
    """The log is read-only; the list page opens with the top and zero-result queries."""

    list_display = ("query", "result_count", "relaxed", "clicked_product", "source", "created_at")
    list_filter = ("source", "relaxed", "created_at")
    search_fields = ("normalized",)
    date_hierarchy = "created_at"
    list_select_related = ("clicked_product",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        extra = {
            "top_queries": selectors.top_queries(limit=20),
            "zero_queries": selectors.top_queries(limit=20, zero_results=True),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra)  # type: ignore[return-value]
