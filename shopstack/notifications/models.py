"""Notifications sent to customers and staff: one log row per message per channel."""

from __future__ import annotations

from django.db import models


class NotificationLog(models.Model):
    """One message that a domain event calls for, and what became of it.

    Unique per (event, channel, template): an event dispatched again (the outbox delivers
    at least once) finds its row and sends nothing more. `locked_until` is the claim of the
    worker sending it, so two workers never send one row at the same time."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    event_id = models.BigIntegerField(help_text="The outbox event that called for this message")
    event_name = models.CharField(max_length=64)
    channel = models.CharField(max_length=32, default="email")
    template = models.CharField(max_length=100)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    order_number = models.CharField(max_length=32, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True, help_text="The event's payload, for rendering")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(
                fields=("event_id", "channel", "template"), name="notification_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=("next_attempt_at",),
                condition=models.Q(status__in=["pending", "failed"]),
                name="notification_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.recipient} ({self.status})"
