"""Back office for the outbox: deliveries that are failing or dead, why, and "retry now"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from shopstack.core.events import outbox_deliveries_retry
from shopstack.core.models import OutboxDelivery


class TroubleFilter(admin.SimpleListFilter):
    """Failing (pending after an error) or dead: what staff come here for."""

    title = "trouble"
    parameter_name = "trouble"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [("failing", "failing (will retry)"), ("dead", "dead (gave up)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxDelivery]) -> QuerySet[OutboxDelivery]:
        if self.value() == "failing":
            return queryset.filter(state=OutboxDelivery.State.PENDING, attempts__gt=0)
        if self.value() == "dead":
            return queryset.filter(state=OutboxDelivery.State.DEAD)
        return queryset


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "event_name",
        "aggregate",
        "handler",
        "state",
        "attempts",
        "next_attempt_at",
        "error",
    )
    list_filter = (TroubleFilter, "state", "handler")
    search_fields = ("=aggregate", "handler", "event__name")
    list_select_related = ("event",)
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = [*(field.name for field in OutboxDelivery._meta.fields), "payload"]
    actions = ("retry_now",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="event", ordering="event__name")
    def event_name(self, delivery: OutboxDelivery) -> str:
        return f"{delivery.event.name} #{delivery.event.pk}"

    @admin.display(description="last error")
    def error(self, delivery: OutboxDelivery) -> str:
        return delivery.last_error[:120]

    @admin.display(description="event payload")
    def payload(self, delivery: OutboxDelivery) -> object:
        return delivery.event.payload

    @admin.action(description="Retry now (failing or dead deliveries)", permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxDelivery]) -> None:
        count = outbox_deliveries_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} delivery(ies) will be tried again now.", messages.SUCCESS)
