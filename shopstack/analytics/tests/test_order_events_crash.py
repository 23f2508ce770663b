"""Order events are never lost: a real worker process running the outbox, killed with
SIGKILL (shopstack.core.faults) just after the analytics handler's delivery was committed as
done, has already stored the event; killed before that commit, the delivery runs again and
the warehouse still keeps the event once.

The worker runs with the production flush interval (0.5 s), so an event handed to the
process's buffer instead of appended would be lost with the process, and these tests fail."""

from __future__ import annotations

import signal
from datetime import UTC

import pytest
from django.utils import timezone

from shopstack.analytics import handlers
from shopstack.analytics.schema import Kind
from shopstack.analytics.store import event_store
from shopstack.analytics.tests.child_process import child_run
from shopstack.analytics.tests.conftest import recorded
from shopstack.analytics.values import derived_event_id, order_placed_event_id
from shopstack.analytics.warehouse.compaction import events_compact
from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.layout import EVENTS, events_path
from shopstack.core.events import handler_name
from shopstack.core.models import OutboxDelivery, OutboxEvent
from shopstack.testing.customer_orders import make_customer, make_order

pytestmark = pytest.mark.django_db(transaction=True)


def _worker(faults: str = ""):
    # Delivering the outbox as the task worker does, with the production flush interval:
    # buffered events wait for it.
    return child_run(
        "from shopstack.core.events import outbox_dispatch_pending\noutbox_dispatch_pending()",
        faults=faults,
        ANALYTICS_FLUSH_SECONDS=0.5,
    )


def _analytics_delivery(name: str, order, **payload) -> OutboxDelivery:
    """The order's domain event with a delivery to the analytics handler only (other
    contexts' handlers are left out, so the worker's first delivery is this one)."""
    now = timezone.now()
    event = OutboxEvent.objects.create(
        name=name,
        aggregate_type="order",
        aggregate_id=str(order.pk),
        payload={"order_id": order.pk, **payload},
        dispatched_at=now,
    )
    return OutboxDelivery.objects.create(
        event=event,
        handler=handler_name(handlers.on_order_event),
        aggregate=f"order:{order.pk}",
        next_attempt_at=now,
    )


@pytest.fixture
def order(settings, tmp_path):
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "warehouse")
    event_store().clear()
    yield make_order(customer=make_customer())
    event_store().clear()


def test_a_worker_killed_once_the_delivery_is_done_has_already_stored_the_order_placed(order):
    delivery = _analytics_delivery("OrderPlaced", order)

    killed = _worker(faults="outbox_after_delivery_done:kill")

    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")
    delivery.refresh_from_db()
    assert delivery.state == OutboxDelivery.State.DONE  # never run again: the event must be stored
    (placed,) = recorded(Kind.ORDER_PLACED)
    assert placed["event_id"] == order_placed_event_id(order.pk)
    assert (placed["order_id"], placed["value_minor"], placed["customer_id"]) == (
        order.pk,
        2235,
        order.customer_id,
    )


def test_a_worker_killed_before_the_delivery_is_done_runs_it_again_and_the_event_counts_once(order):
    delivery = _analytics_delivery("OrderCaptured", order, amount="22.35", currency="GBP")

    killed = _worker(faults="outbox_after_handler:kill")

    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (OutboxDelivery.State.PENDING, 0)
    assert [row["kind"] for row in recorded()] == [Kind.ORDER_PAID]  # stored before the kill

    again = _worker()

    assert again.returncode == 0, again.stderr.decode(errors="replace")
    delivery.refresh_from_db()
    assert delivery.state == OutboxDelivery.State.DONE
    assert len(recorded(Kind.ORDER_PAID)) == 2  # the retry wrote the same event again
    events_compact()
    where = warehouse()
    day = delivery.event.created_at.astimezone(UTC).date().isoformat()
    table = where.read(events_path(where.root, day), EVENTS)
    assert table is not None, day
    assert table.column("event_id").to_pylist() == [derived_event_id("outbox", delivery.event_id)]
    assert event_store().count() == 0
