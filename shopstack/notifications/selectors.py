"""Reads of the notification log."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from shopstack.notifications.models import NotificationLog


def notifications_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of messages waiting for a (re)try whose time has come, oldest first."""
    now = now or timezone.now()
    return list(
        NotificationLog.objects.filter(
            status__in=[NotificationLog.Status.PENDING, NotificationLog.Status.FAILED],
            next_attempt_at__lte=now,
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def notifications_for_order(*, number: str) -> QuerySet[NotificationLog]:
    return NotificationLog.objects.filter(order_number=number).order_by("pk")
