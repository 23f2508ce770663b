"""Emails from the real order workflow (order placed against the live test gateway, tasks
run at once) received by a real SMTP server: the events' actual payloads render."""

from __future__ import annotations

import pytest

from shopstack.notifications.models import NotificationLog
from shopstack.orders.models import Order
from shopstack.orders.services import order_capture, order_place, order_ship
from shopstack.testing.inventory import make_stocked_variant
from shopstack.testing.orders import ORDER_APPS, make_draft
from shopstack.testing.pricing import ensure_tax_seed
from shopstack.testing.smtp import body_of

pytestmark = pytest.mark.django_db(transaction=True, available_apps=ORDER_APPS)


@pytest.fixture(autouse=True)
def _tax():
    ensure_tax_seed()


def place(live_gateway, outcome: str, email: str = "buyer@example.com") -> Order:
    variant = make_stocked_variant(stock=5, price="10.00", name="Blue vase")
    order = order_place(
        draft=make_draft([(variant, 2)], token=live_gateway.token(outcome), email=email),
        idempotency_key=f"mail-{variant.pk}",
    )
    order.refresh_from_db()
    return order


def subjects(smtp_server) -> list[str]:
    return [m["Subject"] for m in smtp_server.messages]


def test_confirmation_then_shipment_emails_from_the_workflow(live_gateway, smtp_server):
    order = place(live_gateway, "success")
    assert order.status == Order.Status.CONFIRMED
    [confirmation] = smtp_server.wait_for(1)
    assert confirmation["To"] == "buyer@example.com"
    assert f"Order {order.number} confirmed" in confirmation["Subject"]
    text = body_of(confirmation, "plain")
    assert "2 x Blue vase" in text
    assert "1 High Street" in text
    assert f"/orders/lookup/?number={order.number}" in text  # a guest order

    order_capture(order=order)
    line = order.lines.get()
    order_ship(order=order, lines=[(line.pk, 2)])
    shipment = order.shipments.get()
    messages = smtp_server.wait_for(2)
    assert subjects(smtp_server)[1].endswith(f"Order {order.number} is on its way")
    shipped = body_of(messages[1], "plain")
    assert f"Tracking number: {shipment.tracking_number}" in shipped
    assert shipment.tracking_url in shipped
    assert set(NotificationLog.objects.values_list("template", "status")) == {
        ("order_confirmed", "sent"),
        ("order_shipped", "sent"),
    }


def test_a_declined_payment_sends_the_failure_email(live_gateway, smtp_server):
    order = place(live_gateway, "decline")
    messages = smtp_server.wait_for(1)
    [failure] = [m for m in messages if "did not go through" in m["Subject"]]
    assert order.number in failure["Subject"]
    assert "Reason given: card declined." in body_of(failure, "plain")
    assert NotificationLog.objects.filter(template="order_payment_failed", status="sent").count() == 1
