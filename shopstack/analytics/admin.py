"""The admin index's entry for the analytics dashboards (they live in analytics/dashboard/)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from shopstack.analytics.models import AnalyticsAccess


@admin.register(AnalyticsAccess)
class AnalyticsAccessAdmin(admin.ModelAdmin):
    """No rows to list: "Dashboards" on the admin index opens the overview, for staff who
    hold `analytics.view_analytics`."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("analytics.view_analytics")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)  # the admin's own 403
        return HttpResponseRedirect(reverse("dashboards:page", args=["overview"]))
