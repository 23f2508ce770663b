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

    Rows are dispatched after commit (and again by the periodic sweep if a process died
    in between), so every handler sees each event at least once and must be idempotent.
    """

    name = models.CharField(max_length=64, db_index=True)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ("id",)
        indexes = [
            models.Index(fields=("aggregate_type", "aggregate_id"), name="outbox_aggregate"),
            models.Index(
                fields=("id",), condition=models.Q(dispatched_at__isnull=True), name="outbox_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.aggregate_type}:{self.aggregate_id}"


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
    created_at = models.DateTimeField(auto_now_add=True)

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
