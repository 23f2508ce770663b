from datetime import timedelta

import pytest
from django.db import transaction

from shopstack.core import events
from shopstack.core.models import OutboxDelivery, OutboxEvent
from shopstack.testing.tasks import use_tasks_backend

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received(monkeypatch):
    monkeypatch.setattr(events, "_handlers", {})
    seen: list[events.Event] = []
    events.subscribe("ThingHappened", seen.append, as_name="tests.seen")
    return seen


def test_an_event_reaches_its_handler_after_commit_only(received):
    with transaction.atomic():
        events.event_record(name="ThingHappened", aggregate_type="thing", aggregate_id=7, payload={"a": 1})
        assert received == []  # not before the change is committed
    assert [(e.name, e.aggregate_id, e.payload) for e in received] == [("ThingHappened", "7", {"a": 1})]
    assert OutboxEvent.objects.get().dispatched_at is not None
    assert OutboxDelivery.objects.get().state == OutboxDelivery.State.DONE


def _record_then_roll_back() -> None:
    """An event in a transaction that then fails."""

    def change_then_fail():
        with transaction.atomic():
            events.event_record(name="ThingHappened", aggregate_type="thing", aggregate_id=1, payload={})
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()


def test_a_rolled_back_change_announces_nothing(received):
    _record_then_roll_back()
    assert received == []
    assert not OutboxEvent.objects.exists()


def test_a_failing_handler_leaves_its_delivery_pending_and_a_later_dispatch_delivers_it(monkeypatch):
    monkeypatch.setattr(events, "_handlers", {})
    calls = []

    def flaky(event):
        calls.append(event.id)
        if len(calls) == 1:
            raise ValueError("mail server down")

    events.subscribe("ThingHappened", flaky)
    with transaction.atomic():
        events.event_record(name="ThingHappened", aggregate_type="thing", aggregate_id=1, payload={})
    delivery = OutboxDelivery.objects.get()
    assert delivery.state == OutboxDelivery.State.PENDING
    assert delivery.attempts == 1
    assert "mail server down" in delivery.last_error
    assert delivery.handler.endswith("flaky")

    assert events.outbox_dispatch_pending() == 0  # not due yet: backoff
    assert events.outbox_dispatch_pending(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert delivery.state == OutboxDelivery.State.DONE
    assert calls == [delivery.event_id, delivery.event_id]
    assert events.outbox_dispatch_pending(now=delivery.next_attempt_at + timedelta(hours=1)) == 0
    assert len(calls) == 2  # delivered, never again


def test_events_are_dispatched_in_the_order_they_were_recorded(received):
    with transaction.atomic():
        for n in range(5):
            events.event_record(name="ThingHappened", aggregate_type="thing", aggregate_id=n, payload={})
    assert [e.aggregate_id for e in received] == ["0", "1", "2", "3", "4"]


def test_one_transaction_schedules_one_dispatch_for_all_its_events(received, monkeypatch):
    scheduled: list[None] = []
    real = events._schedule_dispatch

    def counting(retry_after: int | None = None) -> None:
        scheduled.append(None)
        real(retry_after)

    monkeypatch.setattr(events, "_schedule_dispatch", counting)
    with transaction.atomic():
        for n in range(3):
            events.event_record(name="ThingHappened", aggregate_type="thing", aggregate_id=n, payload={})
    assert len(scheduled) == 1
    assert sorted(e.aggregate_id for e in received) == ["0", "1", "2"]


def _record_lost_then_kept() -> None:
    """An event in a savepoint that rolls back, then one in the enclosing transaction."""

    def inner_change_then_fail():
        with transaction.atomic():
            events.event_record(name="ThingHappened", aggregate_type="thing", aggregate_id="lost", payload={})
            raise RuntimeError

    with transaction.atomic():
        with pytest.raises(RuntimeError):
            inner_change_then_fail()
        events.event_record(name="ThingHappened", aggregate_type="thing", aggregate_id="kept", payload={})


def test_an_event_after_a_rolled_back_savepoint_still_schedules_its_dispatch(received):
    _record_lost_then_kept()
    assert [e.aggregate_id for e in received] == ["kept"]


# --- the database task queue: the dispatch task is written in the event's transaction ---


@pytest.fixture
def database_queue(settings, received):
    use_tasks_backend(settings, "django_tasks_db.DatabaseBackend")
    yield
    use_tasks_backend(settings, "django.tasks.backends.immediate.ImmediateBackend")


def _dispatch_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path="shopstack.core.tasks.outbox_dispatch").count()


def test_with_a_database_queue_the_dispatch_task_commits_with_the_events(database_queue):
    with transaction.atomic():
        for n in range(3):
            events.event_record(name="ThingHappened", aggregate_type="thing", aggregate_id=n, payload={})
        # Written already, in this transaction: it becomes visible with the events.
        assert _dispatch_tasks() == 1
    assert _dispatch_tasks() == 1
    assert OutboxEvent.objects.count() == 3


def test_with_a_database_queue_a_rolled_back_transaction_leaves_no_task(database_queue):
    _record_then_roll_back()
    assert _dispatch_tasks() == 0
    assert not OutboxEvent.objects.exists()


def test_with_a_database_queue_an_event_after_a_rolled_back_savepoint_queues_its_own_task(database_queue):
    _record_lost_then_kept()
    assert _dispatch_tasks() == 1
    assert list(OutboxEvent.objects.values_list("aggregate_id", flat=True)) == ["kept"]


def test_outside_a_transaction_the_dispatch_task_is_queued_at_once(database_queue):
    events.event_record(name="ThingHappened", aggregate_type="thing", aggregate_id=1, payload={})
    assert _dispatch_tasks() == 1
