"""The analytics app's own rows. Events themselves live in the event store and the
warehouse (docs/analytics.md), never here."""

from __future__ import annotations

from django.db import models


class RejectedEventCount(models.Model):
    """How many events the events API refused on a UTC day (of receipt), by reason
    (`shopstack.analytics.app_events.Reason`). A batch refused as a whole counts once,
    under "batch". Written by one upsert per reason (rejections.py), read by dashboards."""

    day = models.DateField()
    reason = models.CharField(max_length=40)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("day", "reason"), name="rejected_event_count_once")]
        ordering = ("-day", "reason")

    def __str__(self) -> str:
        return f"{self.day} {self.reason}: {self.count}"


class AnalyticsAccess(models.Model):
    """No table: it carries the one permission that opens the dashboards
    (`analytics.view_analytics`), so it can be given to a group like any other, and it gives
    the admin index its "Dashboards" entry."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = (("view_analytics", "Can view the analytics dashboards"),)
        verbose_name = "dashboard"
        verbose_name_plural = "dashboards"

    def __str__(self) -> str:
        return "Analytics dashboards"
