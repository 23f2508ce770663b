"""StripeGateway's own obligations, against the fake Stripe server: the wire format,
retries of rate-limited calls, replays, server errors, 3-D Secure, and the shop's payment
services and webhook endpoint running on it. (The shared contract is test_gateway_contract.)"""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shopstack.payments import services
from shopstack.payments.backends.base import GatewayError, GatewayStatus
from shopstack.payments.backends.stripe import KEY_METADATA, from_minor, to_minor
from shopstack.payments.models import PaymentStatus, PaymentTransaction, PaymentWebhookEvent, TransactionKind
from shopstack.testing.payments import PAYMENT_DB


def authorize(gateway, outcome="success", *, amount="25.00", currency="GBP", key="k1", return_url=""):
    return gateway.backend.authorize(
        amount=Decimal(amount),
        currency=currency,
        token=gateway.token(outcome),
        idempotency_key=key,
        return_url=return_url,
    )


def posts(fake, path):
    return [(method, p, key) for method, p, key in fake.requests if method == "POST" and p == path]


def test_amounts_go_in_minor_units_with_manual_capture_and_the_key_in_metadata(stripe_gateway):
    fake = stripe_gateway.fake
    result = authorize(stripe_gateway, amount="25.00", key="pay_abc_authorize")
    intent = fake.intents[result.reference]
    assert intent["amount"] == 2500
    assert intent["currency"] == "gbp"
    assert intent["capture_method"] == "manual"
    assert intent["metadata"] == {KEY_METADATA: "pay_abc_authorize"}
    assert posts(fake, "/v1/payment_intents") == [("POST", "/v1/payment_intents", "pay_abc_authorize")]
    yen = authorize(stripe_gateway, amount="500", currency="JPY", key="k-jpy")
    assert fake.intents[yen.reference]["amount"] == 500
    assert to_minor(Decimal("0.07"), "GBP") == 7
    assert from_minor(1999, "GBP") == Decimal("19.99")
    with pytest.raises(GatewayError):
        to_minor(Decimal("1.005"), "GBP")


def test_a_rate_limited_call_is_retried_with_the_same_key_and_charges_once(stripe_gateway):
    fake = stripe_gateway.fake
    fake.fail_next(429, times=2)
    result = authorize(stripe_gateway, key="k-rate")
    assert result.status == GatewayStatus.AUTHORIZED
    assert [key for _, _, key in posts(fake, "/v1/payment_intents")] == ["k-rate"] * 3
    assert len(fake.intents) == 1


def test_rate_limited_past_the_retries_is_a_refusal_with_nothing_charged(stripe_gateway):
    fake = stripe_gateway.fake
    fake.fail_next(429, times=3)
    with pytest.raises(GatewayError) as limited:
        authorize(stripe_gateway, key="k-limited")
    assert (limited.value.code, limited.value.http_status) == ("rate_limit", 429)
    assert not limited.value.outcome_unknown
    assert fake.intents == {}


def test_a_repeated_key_is_answered_by_stripes_replay(stripe_gateway):
    fake = stripe_gateway.fake
    first = authorize(stripe_gateway, key="k-same")
    again = authorize(stripe_gateway, key="k-same")
    assert again.reference == first.reference
    assert fake.replays == 1
    assert len(fake.intents) == 1


def test_a_server_error_leaves_the_outcome_unknown(stripe_gateway):
    stripe_gateway.fake.fail_next(500)
    with pytest.raises(GatewayError) as failed:
        authorize(stripe_gateway, key="k-500")
    assert failed.value.outcome_unknown
    assert failed.value.http_status == 500


def test_three_d_secure_sends_the_customer_to_the_redirect_url(stripe_gateway):
    result = authorize(stripe_gateway, "action_required", key="k-3ds", return_url="http://shop.test/back")
    assert result.status == GatewayStatus.ACTION_REQUIRED
    intent = stripe_gateway.fake.intents[result.reference]
    assert result.action_url == intent["next_action"]["redirect_to_url"]["url"]
    assert result.action_url.startswith(stripe_gateway.fake.url)


# --- the shop's services on Stripe ---------------------------------------------------------


@pytest.mark.django_db
def test_payment_services_authorize_capture_refund_on_stripe(stripe_gateway):
    payment = services.payment_create(
        ref="order:S1", amount=Decimal("40.00"), currency="GBP", token="pm_card_visa"
    )
    assert payment.gateway == "stripe"
    payment = services.payment_authorize(payment=payment)
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.gateway_reference.startswith("pi_")
    payment = services.payment_capture(payment=payment, amount=Decimal("30.00"))
    assert (payment.status, payment.captured_amount) == (PaymentStatus.CAPTURED, Decimal("30.00"))
    payment = services.payment_refund(payment=payment, amount=Decimal("10.00"), idempotency_key="r1")
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    payment = services.payment_refund(payment=payment, amount=Decimal("20.00"))
    assert payment.status == PaymentStatus.REFUNDED
    assert stripe_gateway.fake.refunded[payment.gateway_reference] == 3000
    keys = [key for _, _, key in stripe_gateway.fake.requests if key]
    assert len(keys) == len(set(keys)) == 4  # authorize, capture, two refunds: each its own key


@pytest.mark.django_db
def test_a_decline_fails_the_payment_with_stripes_reason(stripe_gateway):
    payment = services.payment_create(
        ref="order:S2",
        amount=Decimal("5.00"),
        currency="GBP",
        token="pm_card_chargeDeclinedInsufficientFunds",
    )
    payment = services.payment_authorize(payment=payment)
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "insufficient_funds")


@pytest.mark.django_db
def test_after_a_server_error_reconciliation_waits_for_stripes_search_then_settles(stripe_gateway, settings):
    settings.PAYMENTS_RECONCILE_MARGIN_SECONDS = 5
    payment = services.payment_create(
        ref="order:S3", amount=Decimal("9.00"), currency="GBP", token="pm_card_visa"
    )
    stripe_gateway.fake.fail_next(500)
    payment = services.payment_authorize(payment=payment)
    assert payment.status == PaymentStatus.UNKNOWN
    # Nothing was charged, but Stripe's search may lag a minute: not concluded yet.
    assert services.payment_reconcile(payment=payment).status == PaymentStatus.UNKNOWN
    backend = stripe_gateway.backend
    sent = timezone.now() - timedelta(seconds=backend.timeout + backend.lookup_delay + 6)
    PaymentTransaction.objects.filter(kind=TransactionKind.AUTHORIZE).update(sent_at=sent)
    payment = services.payment_reconcile(payment=payment)
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "not_charged")


@pytest.mark.django_db
def test_a_timed_out_authorization_is_found_by_reconciliation(stripe_gateway):
    payment = services.payment_create(
        ref="order:S4", amount=Decimal("9.00"), currency="GBP", token=stripe_gateway.token("timeout")
    )
    payment = services.payment_authorize(payment=payment)
    assert payment.status == PaymentStatus.UNKNOWN
    payment = services.payment_reconcile(payment=payment)
    assert payment.status == PaymentStatus.AUTHORIZED
    assert len(stripe_gateway.fake.intents) == 1


@PAYMENT_DB
def test_a_signed_stripe_webhook_authorizes_a_challenged_payment_once(stripe_gateway, client):
    payment = services.payment_create(
        ref="order:S5", amount=Decimal("15.00"), currency="GBP", token="pm_card_threeDSecureRequired"
    )
    payment = services.payment_authorize(payment=payment, return_url="http://shop.test/back")
    assert payment.status == PaymentStatus.ACTION_REQUIRED
    body = stripe_gateway.event_body(event_id="evt_3ds", authorized=True, reference=payment.gateway_reference)
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in stripe_gateway.signed(body).items()}
    url = "/payments/webhooks/stripe/"

    response = client.post(url, data=body, content_type="application/json", **headers)
    assert response.json() == {"received": True, "duplicate": False}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    replay = client.post(url, data=body, content_type="application/json", **headers)
    assert replay.json()["duplicate"] is True
    forged = stripe_gateway.signed(body, secret="whsec_guess", timestamp=int(time.time()))
    forged_headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in forged.items()}
    assert client.post(url, data=body, content_type="application/json", **forged_headers).status_code == 400
    assert PaymentWebhookEvent.objects.count() == 1
