"""Outbox deliveries: one per (event, handler), retried alone with backoff, dead after
OUTBOX_MAX_ATTEMPTS, in recording order per handler and aggregate, and never blocked by
older failing ones. The clock is passed in: nothing waits for real time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from shopstack.core import events
from shopstack.core.models import OutboxDelivery, OutboxEvent

pytestmark = pytest.mark.django_db(transaction=True)
Pending, Done, Dead = OutboxDelivery.State.PENDING, OutboxDelivery.State.DONE, OutboxDelivery.State.DEAD


@pytest.fixture(autouse=True)
def no_handlers(monkeypatch):
    monkeypatch.setattr(events, "_handlers", type(events._handlers)())


def record(name: str, aggregate_id: object, **payload) -> None:
    events.event_record(name=name, aggregate_type="thing", aggregate_id=aggregate_id, payload=payload)


def test_five_hundred_and_one_poison_events_do_not_hold_back_a_good_one():
    delivered = []

    def handle(event):
        if event.payload.get("poison"):
            raise ValueError("cannot handle this one, ever")
        delivered.append(event.aggregate_id)

    events.subscribe("ThingHappened", handle)
    poison = [("ThingHappened", "thing", f"bad-{n}", {"poison": True}) for n in range(501)]
    events.events_record(poison)  # dispatched at once (immediate tasks): they all fail
    record("ThingHappened", "good")  # written after all of them; its own dispatch delivers it
    assert delivered == ["good"]

    # Written without a dispatch of their own (a process died after commit): one sweep
    # delivers the good event behind 501 new poison ones.
    OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(name=name, aggregate_type=kind, aggregate_id=key, payload=data)
            for name, kind, key, data in poison
        ]
        + [OutboxEvent(name="ThingHappened", aggregate_type="thing", aggregate_id="late-good")]
    )
    assert events.outbox_dispatch_pending() == 1
    assert delivered == ["good", "late-good"]


def test_a_failing_handler_is_retried_alone():
    calls: dict[str, int] = {"steady": 0, "flaky": 0}

    def steady(event):
        calls["steady"] += 1

    def flaky(event):
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise ConnectionError("down")

    events.subscribe("ThingHappened", steady)
    events.subscribe("ThingHappened", flaky)
    record("ThingHappened", 1)
    assert calls == {"steady": 1, "flaky": 1}
    deliveries = {d.handler.rsplit(".", 1)[-1]: d for d in OutboxDelivery.objects.all()}
    assert (deliveries["steady"].state, deliveries["flaky"].state) == (Done, Pending)

    assert events.outbox_dispatch_pending(now=deliveries["flaky"].next_attempt_at) == 1
    assert calls == {"steady": 1, "flaky": 2}  # the one that worked was not run again
    assert set(OutboxDelivery.objects.values_list("state", flat=True)) == {Done}


def test_backoff_grows_then_a_delivery_dies_after_the_maximum_attempts(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    attempts = []

    def broken(event):
        attempts.append(timezone.now())
        raise RuntimeError("bug")

    events.subscribe("ThingHappened", broken)
    start = timezone.now()
    OutboxEvent.objects.create(name="ThingHappened", aggregate_type="thing", aggregate_id="1")
    clock, waits = start, []
    for _ in range(10):
        events.outbox_dispatch_pending(now=clock)
        delivery = OutboxDelivery.objects.get()
        if delivery.state != Pending:
            break
        waits.append((delivery.next_attempt_at - clock).total_seconds())
        assert events.outbox_dispatch_pending(now=delivery.next_attempt_at - timedelta(seconds=1)) == 0
        clock = delivery.next_attempt_at
    assert waits == [5, 10, 20]
    assert (delivery.state, delivery.attempts, len(attempts)) == (Dead, 4, 4)
    assert "RuntimeError: bug" in delivery.last_error
    events.outbox_dispatch_pending(now=clock + timedelta(days=1))
    assert len(attempts) == 4  # dead: never tried again by itself

    assert events.outbox_deliveries_retry(delivery_ids=[delivery.pk], now=clock) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (Pending, 0, clock)


def test_one_handler_sees_an_aggregates_events_in_order_even_across_a_failure(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    seen = []
    failing = {"a1"}

    def handle(event):
        if event.payload["step"] in failing:
            raise ValueError("not now")
        seen.append(event.payload["step"])

    events.subscribe("ThingHappened", handle)
    now = timezone.now()
    for aggregate_id, step in (("A", "a1"), ("A", "a2"), ("B", "b1"), ("A", "a3")):
        OutboxEvent.objects.create(
            name="ThingHappened", aggregate_type="thing", aggregate_id=aggregate_id, payload={"step": step}
        )
    events.outbox_dispatch_pending(now=now)
    assert seen == ["b1"]  # a2 and a3 wait behind a1; B is not held back

    failing.clear()
    later = now + timedelta(minutes=1)
    assert events.outbox_dispatch_pending(now=later) == 3
    assert seen == ["b1", "a1", "a2", "a3"]

    # A dead delivery no longer holds its aggregate back: it was given up, in the admin.
    failing.add("a4")
    for step in ("a4", "a5"):
        OutboxEvent.objects.create(
            name="ThingHappened", aggregate_type="thing", aggregate_id="A", payload={"step": step}
        )
    clock = later
    for _ in range(3):
        clock += timedelta(hours=1)
        events.outbox_dispatch_pending(now=clock)
    assert OutboxDelivery.objects.get(event__payload__step="a4").state == Dead
    assert seen == ["b1", "a1", "a2", "a3", "a5"]


def test_an_event_without_handlers_is_handed_out_with_no_deliveries():
    event = OutboxEvent.objects.create(name="NobodyCares", aggregate_type="thing", aggregate_id="1")
    assert events.outbox_dispatch_pending() == 0
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert not OutboxDelivery.objects.exists()


def test_a_handler_name_is_its_module_and_qualified_name():
    def local(event):
        pass

    assert events.handler_name(events.handler_name) == "shopstack.core.events.handler_name"
    assert events.handler_name(local).endswith(
        "test_a_handler_name_is_its_module_and_qualified_name.<locals>.local"
    )
    events.subscribe("ThingHappened", local)
    events.subscribe("ThingHappened", local)  # the same handler again: one subscription
    assert len(events._handlers["ThingHappened"]) == 1
    with pytest.raises(ValueError, match="already subscribed"):
        events.subscribe("ThingHappened", lambda event: None, as_name=events.handler_name(local))


def test_two_dispatchers_at_once_deliver_each_event_once():
    handled: list[str] = []
    lock = threading.Lock()

    def handle(event):
        with lock:
            handled.append(event.aggregate_id)

    events.subscribe("ThingHappened", handle)
    for n in range(120):
        OutboxEvent.objects.create(name="ThingHappened", aggregate_type="thing", aggregate_id=str(n))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            start.wait(timeout=30)
            events.outbox_dispatch_pending(limit=25)
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(handled, key=int) == [str(n) for n in range(120)]
    assert OutboxDelivery.objects.filter(state=Done).count() == 120


def test_events_pending_before_the_upgrade_are_delivered_after_it():
    """The migration that brought deliveries: a pending event of the old schema is
    delivered once by the new dispatcher; an event dispatched before needs nothing."""
    executor = MigrationExecutor(connection)
    before = [("core", "0003_task_worker_heartbeat")]
    executor.migrate(before)
    old_event = executor.loader.project_state(before).apps.get_model("core", "OutboxEvent")
    pending = old_event.objects.create(
        name="ThingHappened", aggregate_type="thing", aggregate_id="old", attempts=3, last_error="x"
    )
    old_event.objects.create(
        name="ThingHappened", aggregate_type="thing", aggregate_id="done", dispatched_at=timezone.now()
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("core"))

    seen = []
    events.subscribe("ThingHappened", lambda event: seen.append(event.aggregate_id), as_name="tests.seen")
    assert events.outbox_dispatch_pending() == 1
    assert seen == ["old"]
    assert OutboxDelivery.objects.get().event_id == pending.pk
