"""Shared model building blocks."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class OutboxEvent(models.Model):
    """A domain event, written in the same transaction as the change it announces.

    The dispatcher hands it out (`dispatched_at`) by writing one OutboxDelivery per
    handler subscribed to its name; each delivery then succeeds, is retried or gives up on
    its own. Handlers see each event at least once and must be idempotent.
    """

    name = models.CharField(max_length=64, db_index=True)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its deliveries (one per handler) were written"
    )

    class Meta:
        ordering = ("id",)
        indexes = [
            models.Index(fields=("aggregate_type", "aggregate_id"), name="outbox_aggregate"),
            models.Index(
                fields=("id",), condition=models.Q(dispatched_at__isnull=True), name="outbox_pending"
            ),
            models.Index(fields=("dispatched_at",), name="outbox_dispatched"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.aggregate_type}:{self.aggregate_id}"


class OutboxDelivery(models.Model):
    """One event for one handler: retried alone, with backoff, until it is done or dead.

    `aggregate` repeats the event's "type:id" so that a handler's deliveries for one
    aggregate are found by index and handled in the order the events were recorded.
    """

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        DONE = "done", "done"
        DEAD = "dead", "dead (gave up)"

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200, help_text="module.qualname of the subscribed handler")
    aggregate = models.CharField(max_length=100)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it was done or given up")

    class Meta:
        verbose_name_plural = "outbox deliveries"
        constraints = [
            models.UniqueConstraint(fields=("event", "handler"), name="outbox_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=("next_attempt_at", "id"),
                condition=models.Q(state="pending"),
                name="outbox_delivery_due",
            ),
            models.Index(
                fields=("handler", "aggregate", "event"),
                condition=models.Q(state="pending"),
                name="outbox_delivery_queue",
            ),
            models.Index(fields=("id",), condition=models.Q(state="dead"), name="outbox_delivery_dead"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} <- event {self.event_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a request that carried an idempotency key.

    A repeat with the same key and the same request gets that answer again; the same key
    with a different request is refused. The unique constraint is what makes two racing
    first attempts safe: the second insert waits for, then fails against, the first.
    """

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request's meaning")
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("scope", "key"), name="idempotency_unique_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ReferenceStamp(models.Model):
    """A token that changes whenever a family of reference rows changes (tax rates,
    shipping methods). Processes keep their own copy of those rows and reload it when the
    token they loaded it under is no longer the current one (see core.reference)."""

    name = models.CharField(max_length=64, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.name}: {self.token}"


class TaskWorkerHeartbeat(models.Model):
    """When a task worker (`manage.py task_worker`) last said it was alive. The recovery
    sweep re-enqueues tasks left running by a worker whose heartbeat stopped."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class PeriodicLease(models.Model):
    """When a periodic sweep is next due, for every scheduler at once: the scheduler that
    moves `next_run_at` on (a conditional update) is the one that enqueues the sweep."""

    name = models.CharField(max_length=64, primary_key=True)
    next_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} next at {self.next_run_at:%Y-%m-%d %H:%M:%S}"
