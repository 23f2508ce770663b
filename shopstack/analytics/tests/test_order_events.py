"""The order's life from the outbox: paid, shipped, delivered, cancelled, refunded, returned."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopstack.analytics.handlers import on_order_event
from shopstack.analytics.order_events import ORDER_KINDS
from shopstack.analytics.schema import Channel, Kind
from shopstack.analytics.tests.conftest import recorded
from shopstack.core.events import Event, outbox_dispatch_pending
from shopstack.core.models import OutboxEvent
from shopstack.testing.customer_orders import make_customer, make_order, order_event

pytestmark = pytest.mark.django_db


def _event(row: OutboxEvent) -> Event:
    return Event(row.pk, row.name, row.aggregate_type, row.aggregate_id, row.payload)


@pytest.fixture
def order():
    # Lines: 2 x 2.95 and 1 x 12.50, shipping 3.95: 22.35 GBP.
    return make_order(customer=make_customer())


@pytest.mark.parametrize(
    ("name", "payload", "kind", "value_minor"),
    [
        ("OrderCaptured", {"amount": "22.35", "currency": "GBP"}, Kind.ORDER_PAID, 2235),
        ("OrderShipped", {}, Kind.ORDER_SHIPPED, 2235),
        ("OrderDelivered", {}, Kind.ORDER_DELIVERED, 2235),
        ("OrderCancelled", {"reason": "customer"}, Kind.ORDER_CANCELLED, 2235),
        ("OrderRefunded", {"amount": "5.90", "currency": "GBP"}, Kind.ORDER_REFUNDED, 590),
    ],
)
def test_an_order_event_becomes_its_analytics_event(order, name, payload, kind, value_minor):
    row = order_event(order, name, **payload)

    on_order_event(_event(row))

    (found,) = recorded()
    assert found["kind"] == kind
    assert (found["order_id"], found["customer_id"]) == (order.pk, order.customer_id)
    assert (found["value_minor"], found["currency"]) == (value_minor, "GBP")
    assert found["channel"] == Channel.WEB
    assert found["occurred_at"] == row.created_at


def test_a_return_received_is_valued_at_what_was_paid_for_the_units_sent_back(order):
    mugs = order.lines.get(product_name="Red mug")
    row = order_event(order, "ReturnReceived", return_id=1, lines=[{"line_id": mugs.pk, "quantity": 1}])

    on_order_event(_event(row))

    (found,) = recorded()
    assert (found["kind"], found["value_minor"]) == (Kind.ORDER_RETURNED, 295)


def test_an_app_order_is_on_the_app_channel():
    order = make_order(source="api")
    on_order_event(_event(order_event(order, "OrderShipped")))

    assert recorded()[0]["channel"] == Channel.APP


def test_a_handler_run_twice_writes_the_same_event_id(order):
    event = _event(order_event(order, "OrderCaptured", amount="22.35", currency="GBP"))

    on_order_event(event)
    on_order_event(event)  # the outbox delivers at least once

    first, again = recorded()
    assert first["event_id"] == again["event_id"]
    assert {key: value for key, value in first.items() if key != "received_at"} == {
        key: value for key, value in again.items() if key != "received_at"
    }


def test_different_domain_events_of_one_order_have_different_ids(order):
    on_order_event(_event(order_event(order, "OrderShipped")))
    on_order_event(_event(order_event(order, "OrderDelivered")))

    assert len({row["event_id"] for row in recorded()}) == 2


def test_the_outbox_hands_the_events_to_the_handler(order):
    order_event(order, "OrderCaptured", amount=str(Decimal("22.35")), currency="GBP")
    order_event(order, "OrderConfirmed", total="22.35", currency="GBP")  # not a kind of ours

    outbox_dispatch_pending()

    assert [row["kind"] for row in recorded()] == [Kind.ORDER_PAID]


def test_every_mapped_name_is_a_domain_event_the_shop_records():
    # The names are matched as text: one misspelt would silently record nothing.
    from pathlib import Path

    import shopstack.orders

    source = "".join(
        path.read_text() for path in Path(shopstack.orders.__file__).parent.rglob("services/*.py")
    )
    for name in ORDER_KINDS:
        assert f'"{name}"' in source, name
