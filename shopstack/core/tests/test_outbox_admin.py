"""Dead and failing outbox deliveries in the admin, and its "retry now" action."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.contrib.auth import get_user_model

from shopstack.core import events
from shopstack.core.models import OutboxDelivery

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/admin/core/outboxdelivery/"


@pytest.fixture
def staff_client(client):
    staff = get_user_model().objects.create_user(
        "ops@example.com", "correct-horse-battery-42", is_staff=True, is_superuser=True
    )
    # Staff without two-factor are sent to set it up first.
    Authenticator.objects.create(
        user=staff, type=Authenticator.Type.TOTP, data={"secret": encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")}
    )
    client.force_login(staff)
    return client


@pytest.fixture
def broken_handler(monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    monkeypatch.setattr(events, "_handlers", {})
    state = {"broken": True, "calls": 0}

    def send_invoice(event):
        state["calls"] += 1
        if state["broken"]:
            raise ConnectionError("invoice service unreachable")

    events.subscribe("OrderInvoiced", send_invoice)
    return state


def test_a_dead_delivery_is_listed_and_retried_now(staff_client, broken_handler):
    events.event_record(name="OrderInvoiced", aggregate_type="order", aggregate_id=42, payload={})
    delivery = OutboxDelivery.objects.get()
    assert delivery.state == OutboxDelivery.State.DEAD

    page = staff_client.get(URL, {"trouble": "dead"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "OrderInvoiced" in body
    assert "invoice service unreachable" in body
    assert staff_client.get(f"{URL}{delivery.pk}/change/").status_code == 200
    assert staff_client.get(f"{URL}add/").status_code == 403

    broken_handler["broken"] = False  # the service is back
    response = staff_client.post(URL, {"action": "retry_now", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    # The action queues a dispatch after its commit (run at once by the tests' task backend).
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (OutboxDelivery.State.DONE, 1, "")
    assert broken_handler["calls"] == 2
    assert "OrderInvoiced" not in staff_client.get(URL, {"trouble": "dead"}).content.decode()


def test_retry_now_leaves_done_deliveries_alone(staff_client, broken_handler):
    broken_handler["broken"] = False
    events.event_record(name="OrderInvoiced", aggregate_type="order", aggregate_id=42, payload={})
    delivery = OutboxDelivery.objects.get()
    staff_client.post(URL, {"action": "retry_now", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.state == OutboxDelivery.State.DONE
    assert broken_handler["calls"] == 1
