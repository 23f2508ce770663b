"""Back office for notifications: what was sent to whom, what failed and why; failed
messages can be made due again (the retry sweep sends them from a worker, like every send)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from shopstack.notifications.models import NotificationLog
from shopstack.notifications.services import notification_retry


@admin.register(NotificationLog)
class NotificationLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "template", "recipient", "order_number", "channel", "status", "attempts")
    list_filter = ("status", "template", "channel")
    search_fields = ("=order_number", "recipient")
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = [field.name for field in NotificationLog._meta.fields]
    actions = ("send_again",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Send failed messages again", permissions=["view"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[NotificationLog]) -> None:
        count = notification_retry(log_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, f"{count} failed message(s) will be sent again within a minute.", messages.SUCCESS
        )
