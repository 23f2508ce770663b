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
