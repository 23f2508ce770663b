"""Staff tools for search: synonyms, pinned and boosted products, the search log with the
top queries and the queries that found nothing, and the popular searches autocomplete
suggests, with the blocks that keep searches out of them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from shopstack.search import selectors
from shopstack.search.models import BlockedSearch, MerchandisingRule, PopularSearch, SearchQuery, Synonym
from shopstack.search.popular import searches_block


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


@admin.register(BlockedSearch)
class BlockedSearchAdmin(admin.ModelAdmin):
    """Searches never suggested as popular: applied on every process from the next keystroke."""

    list_display = ("pattern", "note", "created_at")
    search_fields = ("pattern", "note")


@admin.register(PopularSearch)
class PopularSearchAdmin(admin.ModelAdmin):
    """What autocomplete suggests now (rebuilt from the log every few minutes); read-only,
    with an action to block a search."""

    list_display = ("normalized", "visitors")
    search_fields = ("normalized",)
    actions = ("block",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Block the selected searches (never suggest them)", permissions=["delete"])
    def block(self, request: HttpRequest, queryset: QuerySet[PopularSearch]) -> None:
        texts = list(queryset.values_list("normalized", flat=True))
        added = searches_block(texts=texts, note=f"Blocked from the popular searches by {request.user}")
        self.message_user(request, f"Blocked {added} search(es).", messages.SUCCESS)
