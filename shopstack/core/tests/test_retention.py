"""Retention: what is past its keeping time is deleted, in batches, by a sweep that is
given the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shopstack.core import retention
from shopstack.core.models import IdempotencyRecord, OutboxDelivery, OutboxEvent
from shopstack.core.tasks import retention_prune_sweep

pytestmark = pytest.mark.django_db
State = OutboxDelivery.State


def event(key: str, *, dispatched_days_ago: float | None, deliveries: tuple[str, ...] = ()) -> OutboxEvent:
    now = timezone.now()
    dispatched = None if dispatched_days_ago is None else now - timedelta(days=dispatched_days_ago)
    row = OutboxEvent.objects.create(
        name="ThingHappened", aggregate_type="thing", aggregate_id=key, dispatched_at=dispatched
    )
    for n, state in enumerate(deliveries):
        OutboxDelivery.objects.create(
            event=row, handler=f"tests.handler{n}", aggregate=f"thing:{key}", state=state, next_attempt_at=now
        )
    return row


def test_outbox_events_go_once_handed_out_long_ago_and_every_delivery_is_done(settings):
    settings.OUTBOX_KEEP_DAYS = 7
    event("old-done", dispatched_days_ago=8, deliveries=(State.DONE, State.DONE))
    event("old-no-handlers", dispatched_days_ago=8)  # also: dispatched before deliveries existed
    event("old-dead", dispatched_days_ago=30, deliveries=(State.DONE, State.DEAD))
    event("old-failing", dispatched_days_ago=30, deliveries=(State.PENDING,))
    event("recent-done", dispatched_days_ago=6, deliveries=(State.DONE,))
    event("never-handed-out", dispatched_days_ago=None)

    assert retention.outbox_prune(now=timezone.now()) == 2
    kept = set(OutboxEvent.objects.values_list("aggregate_id", flat=True))
    assert kept == {"old-dead", "old-failing", "recent-done", "never-handed-out"}
    assert OutboxDelivery.objects.count() == 4  # the deleted events' deliveries went with them


def test_idempotency_keys_go_after_their_keeping_time(settings):
    settings.IDEMPOTENCY_KEYS_KEEP_DAYS = 7
    for key in ("old", "new"):
        IdempotencyRecord.objects.create(scope="orders.place", key=key, fingerprint="f")
    now = timezone.now()
    IdempotencyRecord.objects.filter(key="old").update(created_at=now - timedelta(days=8))
    assert retention.idempotency_keys_prune(now=now) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    # A clock passed in: a week on, the other one goes too.
    assert retention.idempotency_keys_prune(now=now + timedelta(days=8)) == 1


def test_expired_database_sessions_go(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    for name in ("expired", "live"):
        session = SessionStore()
        session["who"] = name
        session.create()
    now = timezone.now()
    Session.objects.filter(pk=Session.objects.order_by("expire_date").first().pk).update(
        expire_date=now - timedelta(seconds=1)
    )
    assert retention.sessions_prune_expired(now=now) == 1
    assert [s.get_decoded()["who"] for s in Session.objects.all()] == ["live"]


def test_cache_sessions_need_no_pruning(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    assert retention.sessions_prune_expired(now=timezone.now()) == 0


def test_deleting_goes_in_batches_of_short_transactions():
    for n in range(7):
        IdempotencyRecord.objects.create(scope="s", key=str(n), fingerprint="f")
    with CaptureQueriesContext(connection) as queries:
        assert retention.delete_in_batches(IdempotencyRecord.objects.all(), batch_size=3) == 7
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3
    assert not IdempotencyRecord.objects.exists()


def test_the_sweep_runs_every_pruning_and_registered_hooks(settings, monkeypatch):
    settings.IDEMPOTENCY_KEYS_KEEP_DAYS = 1
    IdempotencyRecord.objects.create(scope="s", key="k", fingerprint="f")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=2))
    calls = []
    monkeypatch.setattr(retention, "_pruners", {})
    retention.retention_register(name="context_log", prune=lambda now: calls.append(now) or 3)
    retention.retention_register(name="broken", prune=lambda now: 1 / 0)

    counts = retention_prune_sweep.enqueue().return_value
    assert counts["idempotency_keys"] == 1
    assert counts["context_log"] == 3
    assert counts["broken"] == -1  # logged; the others still ran
    assert len(calls) == 1
    assert {"outbox", "sessions"} <= set(counts)


def test_the_sweep_is_registered_hourly():
    from shopstack.core.periodic import periodic_all

    sweeps = {p.name: p for p in periodic_all()}
    assert sweeps["core.retention_prune"].interval_seconds == 3600
    assert "search_log" in retention._pruners  # registered by the search context
