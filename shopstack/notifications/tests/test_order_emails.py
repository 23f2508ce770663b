"""Order and return emails, from domain event to a message received by a real SMTP server
(aiosmtpd): subjects, recipients, both parts, order facts and absolute links; one mail per
event however often the outbox dispatches it; SMTP failures recorded and retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import default_task_backend
from django.utils import timezone

from shopstack.core.events import Event, outbox_dispatch_pending
from shopstack.core.models import OutboxDelivery
from shopstack.notifications import services
from shopstack.notifications.handlers import NotifyCustomer
from shopstack.notifications.models import NotificationLog
from shopstack.notifications.rendering import EVENT_MESSAGES
from shopstack.notifications.tasks import notification_retry_due, notification_send
from shopstack.testing.customer_orders import make_customer, make_order, order_event, ship
from shopstack.testing.smtp import body_of

pytestmark = pytest.mark.django_db
BASE = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _shop(settings):
    settings.SHOP_BASE_URL = BASE
    settings.SHOP_NAME = "Test Gifts"


def dispatch() -> int:
    """What the outbox_dispatch task does after commit (tests' transactions never commit)."""
    return outbox_dispatch_pending()


def only_message(smtp_server):
    messages = smtp_server.messages
    assert len(messages) == 1, [m["Subject"] for m in messages]
    return messages[0]


def test_confirmation_email_has_everything_the_customer_needs(smtp_server):
    customer = make_customer("ann@example.com")
    order = make_order(customer=customer, lines=[("Red mug", 2, "2.95"), ("Teapot", 1, "12.50")])
    order_event(order, "OrderConfirmed")
    assert dispatch() == 1

    message = only_message(smtp_server)
    assert message["Subject"] == f"[Test Gifts] Order {order.number} confirmed"
    assert message["To"] == "ann@example.com"
    assert smtp_server.envelopes[0][1] == ["ann@example.com"]
    text, html = body_of(message, "plain"), body_of(message, "html")
    assert text
    assert html
    for body in (text, html):
        assert "Test Gifts" in body
        assert order.number in body
        assert "Red mug" in body
        assert "Teapot" in body
        assert "£5.90" in body  # 2 x 2.95
        assert "£22.35" in body  # 18.40 + 3.95 shipping
        assert "1 High Street" in body
        assert "BA1 1AA" in body
        assert f"{BASE}/account/orders/{order.number}/" in body
    assert "2 x Red mug" in text
    assert "<html" not in text  # the plain part is text, not escaped markup
    log = NotificationLog.objects.get()
    assert (log.status, log.attempts, log.template) == ("sent", 1, "order_confirmed")
    assert log.recipient == "ann@example.com"
    assert log.provider_id == message["Message-ID"]


def test_guest_emails_link_to_the_lookup_page(smtp_server):
    order = make_order(email="guest@example.com")
    order_event(order, "OrderConfirmed")
    dispatch()
    text = body_of(only_message(smtp_server), "plain")
    assert f"{BASE}/orders/lookup/?number={order.number}" in text
    assert "/account/orders/" not in text


def test_shipment_email_has_the_tracking_number_and_link(smtp_server):
    order = make_order(customer=make_customer())
    shipment = ship(order, tracking_number="TRK987GB")
    order_event(
        order,
        "OrderShipped",
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        shipment_id=shipment.pk,
    )
    dispatch()
    message = only_message(smtp_server)
    assert message["Subject"] == f"[Test Gifts] Order {order.number} is on its way"
    text, html = body_of(message, "plain"), body_of(message, "html")
    assert "Tracking number: TRK987GB" in text
    assert "Track your parcel: https://track.example.com/TRK987GB" in text
    assert '<a href="https://track.example.com/TRK987GB">' in html


def test_action_required_email_links_to_finish_paying(smtp_server):
    order = make_order(email="guest@example.com", status="action_required")
    action_url = "https://gateway.example.com/challenge/abc"
    order_event(order, "OrderActionRequired", action_url=action_url)
    dispatch()
    message = only_message(smtp_server)
    assert "confirm the payment" in message["Subject"]
    assert f"Finish paying: {action_url}" in body_of(message, "plain")
    assert f'href="{action_url}"' in body_of(message, "html")


@pytest.mark.parametrize(
    ("name", "payload", "subject", "phrase"),
    [
        ("OrderPaymentFailed", {"failure_code": "card_declined"}, "did not go through", "card declined"),
        ("OrderCancelled", {"reason": "customer_asked"}, "has been cancelled", "customer asked"),
        ("OrderRefunded", {"amount": "7.50"}, "Refund for order", "£7.50"),
        ("ReturnRequested", {"return_number": "R-1"}, "return request", "R-1"),
        ("ReturnApproved", {"return_number": "R-1"}, "is approved", "R-1"),
        ("ReturnReceived", {"return_number": "R-1"}, "returned items", "R-1"),
        ("ReturnRefunded", {"return_number": "R-1", "amount": "12.50"}, "Refund for your return", "£12.50"),
        ("ReturnReplaced", {"return_number": "R-1"}, "replacement", "R-1"),
    ],
)
def test_every_order_and_return_event_has_its_email(smtp_server, name, payload, subject, phrase):
    order = make_order(customer=make_customer())
    order_event(order, name, **payload)
    dispatch()
    message = only_message(smtp_server)
    assert subject in message["Subject"]
    assert order.number in message["Subject"]
    for body in (body_of(message, "plain"), body_of(message, "html")):
        assert phrase in body
        assert order.number in body
    assert NotificationLog.objects.get().template == EVENT_MESSAGES[name].template


def test_an_event_dispatched_twice_sends_one_mail(smtp_server):
    order = make_order(customer=make_customer())
    event = order_event(order, "OrderConfirmed")
    dispatch()
    # The outbox delivers at least once: a crash before marking it done repeats it.
    OutboxDelivery.objects.filter(event=event).update(state=OutboxDelivery.State.PENDING)
    assert dispatch() == 1
    handler = NotifyCustomer(schedule=notification_send.enqueue)
    handler(Event(event.pk, event.name, event.aggregate_type, event.aggregate_id, event.payload))
    assert len(smtp_server.messages) == 1
    assert NotificationLog.objects.count() == 1


def test_a_sent_message_is_never_sent_again_by_its_task_or_the_sweep(smtp_server):
    order = make_order(customer=make_customer())
    order_event(order, "OrderConfirmed")
    dispatch()
    log = NotificationLog.objects.get()
    NotificationLog.objects.filter(pk=log.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    notification_send.enqueue(log.pk)
    notification_retry_due.enqueue()
    assert len(smtp_server.messages) == 1
    log.refresh_from_db()
    assert (log.status, log.attempts) == ("sent", 1)


def test_an_smtp_failure_is_recorded_and_retried_until_sent(smtp_server):
    order = make_order(customer=make_customer())
    smtp_server.refuse_next(1)
    order_event(order, "OrderConfirmed")
    dispatch()

    log = NotificationLog.objects.get()
    assert smtp_server.refused == 1
    assert smtp_server.messages == []
    assert (log.status, log.attempts) == ("failed", 1)
    assert "451" in log.error
    assert log.next_attempt_at is not None
    assert log.next_attempt_at > timezone.now() + timedelta(seconds=20)  # backoff, not at once

    # Not due yet: the sweep leaves it alone.
    assert notification_retry_due.enqueue().return_value == 0
    assert smtp_server.messages == []

    NotificationLog.objects.filter(pk=log.pk).update(next_attempt_at=timezone.now())
    assert notification_retry_due.enqueue().return_value == 1
    log.refresh_from_db()
    assert (log.status, log.attempts, log.error) == ("sent", 2, "")
    assert log.sent_at is not None
    assert order.number in only_message(smtp_server)["Subject"]


def test_a_failed_send_queues_its_retry_with_backoff_when_the_backend_can_defer(smtp_server, settings):
    order = make_order(customer=make_customer())
    order_event(order, "OrderConfirmed")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    dispatch()
    backend = default_task_backend
    [queued] = backend.results
    assert queued.task.name == "notification_send"
    assert smtp_server.messages == []  # queued, not sent by the dispatcher itself
    smtp_server.refuse_next(1)
    notification_send.call(*queued.args)  # what the worker does with it
    assert len(backend.results) == 2
    retry = backend.results[-1]
    assert retry.args == queued.args
    log = NotificationLog.objects.get()
    assert (log.status, log.attempts) == ("failed", 1)
    assert retry.task.run_after == log.next_attempt_at
    assert log.next_attempt_at - timezone.now() > timedelta(seconds=20)


def test_retrying_stops_after_the_last_attempt(smtp_server):
    order = make_order(customer=make_customer())
    smtp_server.refuse_next(100)
    order_event(order, "OrderConfirmed")
    dispatch()
    log = NotificationLog.objects.get()
    for _ in range(services.MAX_ATTEMPTS - 1):
        NotificationLog.objects.filter(pk=log.pk).update(next_attempt_at=timezone.now())
        notification_retry_due.enqueue()
    log.refresh_from_db()
    assert (log.status, log.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert log.next_attempt_at is None
    assert notification_retry_due.enqueue().return_value == 0
    assert smtp_server.refused == services.MAX_ATTEMPTS


def test_events_without_an_email_or_message_send_nothing(smtp_server):
    order = make_order(customer=make_customer())
    order_event(order, "OrderPlaced")  # no email for this one
    order_event(order, "OrderConfirmed", email="")
    dispatch()
    assert smtp_server.messages == []
    assert NotificationLog.objects.count() == 0


def test_an_order_deleted_before_sending_fails_for_good(smtp_server):
    order = make_order(customer=make_customer())
    event = order_event(order, "OrderConfirmed", order_id=10**9)
    dispatch()
    log = NotificationLog.objects.get(event_id=event.pk)
    assert (log.status, log.next_attempt_at) == ("failed", None)
    assert "does not exist" in log.error
    assert smtp_server.messages == []


def test_the_retry_sweep_is_registered_with_the_scheduler():
    from shopstack.core.periodic import periodic_all

    [sweep] = [p for p in periodic_all() if p.name == "notifications.retry_due"]
    assert sweep.task is notification_retry_due
    assert 0 < sweep.interval_seconds <= 300
