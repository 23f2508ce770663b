"""The shop's webhook endpoint: signatures checked, replays ignored, JSON errors."""

import json
from decimal import Decimal

import pytest

from shopstack.core.models import OutboxEvent
from shopstack.payments import services
from shopstack.payments.models import Payment, PaymentStatus, PaymentWebhookEvent
from shopstack.payments.testgateway.models import LedgerWebhook
from shopstack.testing.payments import PAYMENT_DB

pytestmark = PAYMENT_DB

URL = "/payments/webhooks/testgateway/"


def post(client, body: bytes, headers: dict[str, str]):
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.post(URL, data=body, content_type="application/json", **extra)


@pytest.fixture
def challenged(live_gateway):
    """A payment authorized through the challenge; its webhook was delivered over HTTP."""
    payment = services.payment_create(
        ref="ORD-7", amount=Decimal("9.50"), currency="GBP", token=live_gateway.token("action_required")
    )
    payment = services.payment_authorize(payment=payment)
    live_gateway.complete_challenge(payment.action_url, approve=True)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    return payment


def test_a_replayed_webhook_is_accepted_and_ignored(live_gateway, challenged, client):
    delivered = LedgerWebhook.objects.get()
    events_before = OutboxEvent.objects.count()
    body = delivered.body.encode()

    response = post(client, body, live_gateway.signed(body))

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": True}
    assert PaymentWebhookEvent.objects.count() == 1
    assert OutboxEvent.objects.count() == events_before


def test_a_late_failure_event_cannot_undo_an_authorization(live_gateway, challenged, client):
    body = json.dumps(
        {"id": "evt_late", "type": "charge.failed", "data": {"id": challenged.gateway_reference}}
    ).encode()
    response = post(client, body, live_gateway.signed(body))
    assert response.status_code == 200
    assert response.json()["duplicate"] is False
    challenged.refresh_from_db()
    assert challenged.status == PaymentStatus.AUTHORIZED


def test_a_forged_signature_is_refused_and_changes_nothing(live_gateway, client):
    payment = services.payment_authorize(
        payment=services.payment_create(
            ref="ORD-8", amount=Decimal("3.00"), currency="GBP", token=live_gateway.token("action_required")
        )
    )
    body = json.dumps(
        {"id": "evt_forged", "type": "charge.authorized", "data": {"id": payment.gateway_reference}}
    ).encode()

    response = post(client, body, live_gateway.signed(body, secret="whsec_guessed"))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_signature"
    assert error["message"]
    assert "signature" in error["fields"]
    assert not PaymentWebhookEvent.objects.exists()
    assert Payment.objects.get().status == PaymentStatus.ACTION_REQUIRED


def test_no_signature_and_wrong_gateway_and_wrong_method(live_gateway, client):
    body = b'{"id":"evt_1","type":"charge.authorized","data":{"id":"ch_1"}}'
    assert post(client, body, {}).status_code == 400
    other = client.post("/payments/webhooks/othergateway/", data=body, content_type="application/json")
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"
    assert client.get(URL).status_code == 405


def test_an_event_for_an_unknown_charge_is_recorded_and_harmless(live_gateway, client):
    body = b'{"id":"evt_2","type":"charge.authorized","data":{"id":"ch_nobody"}}'
    response = post(client, body, live_gateway.signed(body))
    assert response.status_code == 200
    assert PaymentWebhookEvent.objects.get().event_id == "evt_2"
