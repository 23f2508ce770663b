"""A slow authorization racing its reconciliation, over the live test gateway.

The `late` card makes the gateway hold the first request back until the test releases it,
then charge, while the shop gives up after SLOW_CARD_CLIENT_TIMEOUT: until the release the
charge is on its way but a lookup finds nothing. Reconciliation must not call that "not charged"; and a charge
that lands after the shop did settle the payment as failed is voided.
"""

import json
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shopstack.core.models import OutboxEvent
from shopstack.payments import services
from shopstack.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)
from shopstack.payments.selectors import payments_to_check_late
from shopstack.payments.tasks import payments_late_check_sweep
from shopstack.payments.testgateway.models import LedgerCharge
from shopstack.testing.payments import PAYMENT_DB, SLOW_CARD_CLIENT_TIMEOUT

pytestmark = PAYMENT_DB


def events(payment):
    return list(
        OutboxEvent.objects.filter(aggregate_type="payment", aggregate_id=str(payment.pk))
        .order_by("id")
        .values_list("name", flat=True)
    )


def late_payment(gateway):
    payment = services.payment_create(
        ref="ORD-LATE", amount=Decimal("20.00"), currency="GBP", token=gateway.token("late")
    )
    return services.payment_authorize(payment=payment)


def wait_for_the_late_charge(gateway) -> LedgerCharge:
    """The held-back request goes on and charges (release_held waits until it is done)."""
    assert gateway.held.count == 1  # still on its way when the shop looked
    gateway.release_held()
    charge = LedgerCharge.objects.first()
    assert charge is not None, "the late authorization never reached the gateway"
    return charge


def authorization(payment):
    return PaymentTransaction.objects.get(payment=payment, kind=TransactionKind.AUTHORIZE)


def test_reconciliation_does_not_call_a_request_in_flight_not_charged(live_gateway):
    payment = late_payment(live_gateway)
    # The timeout announced PaymentOutcomeUnknown and the tests' immediate task backend ran
    # the reconciliation at once: the gateway had no charge yet...
    assert not LedgerCharge.objects.exists()
    payment.refresh_from_db()
    # ...and the shop did not conclude "not charged": the request could still land.
    assert payment.status == PaymentStatus.UNKNOWN
    auth = authorization(payment)
    assert auth.status == TransactionStatus.UNKNOWN
    assert auth.timeout_seconds == SLOW_CARD_CLIENT_TIMEOUT
    assert auth.sent_at is not None
    assert auth.sent_at <= timezone.now()
    check = PaymentTransaction.objects.get(payment=payment, kind=TransactionKind.RECONCILE)
    assert check.gateway_response["found"] is False
    assert "in_flight_until" in check.gateway_response

    assert wait_for_the_late_charge(live_gateway).status == "authorized"

    payment = services.payment_reconcile(payment=payment)
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.gateway_reference == LedgerCharge.objects.get().reference
    assert events(payment) == ["PaymentOutcomeUnknown", "PaymentAuthorized"]
    assert LedgerCharge.objects.count() == 1


def test_not_charged_once_the_timeout_and_margin_have_passed(live_gateway, settings):
    settings.PAYMENTS_RECONCILE_MARGIN_SECONDS = 30
    live_gateway.backend.base_url = "http://127.0.0.1:9/"  # nothing answers: only the send time counts
    payment = services.payment_create(
        ref="ORD-GONE", amount=Decimal("5.00"), currency="GBP", token="tok_success"
    )
    PaymentTransaction.objects.create(  # a worker sent this and died before the answer
        payment=payment,
        kind=TransactionKind.AUTHORIZE,
        idempotency_key=f"pay_{payment.uid.hex}_authorize",
        sent_at=timezone.now() - timedelta(seconds=20),
        timeout_seconds=5,
    )
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.UNKNOWN)
    live_gateway.backend.base_url = f"{live_gateway.shop_url}/_testgateway/"

    payment = services.payment_reconcile(payment=payment)
    assert payment.status == PaymentStatus.UNKNOWN  # 20 s < 5 s timeout + 30 s margin

    PaymentTransaction.objects.filter(kind=TransactionKind.AUTHORIZE).update(
        sent_at=timezone.now() - timedelta(seconds=36)
    )
    payment = services.payment_reconcile(payment=payment)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "not_charged"


def failed_as_not_charged(live_gateway, settings):
    """A payment the shop settled as not charged whose authorization then lands anyway
    (no margin: the immediate reconciliation concluded right after the client's timeout)."""
    settings.PAYMENTS_RECONCILE_MARGIN_SECONDS = 0
    payment = late_payment(live_gateway)
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "not_charged")
    charge = wait_for_the_late_charge(live_gateway)
    assert charge.status == "authorized"  # the uncaptured charge the race used to leave behind
    return payment, charge


def post_charge_authorized(client, live_gateway, charge, *, event_id):
    """The gateway's signed webhook: the late charge is authorized."""
    body = json.dumps(
        {
            "id": event_id,
            "type": "charge.authorized",
            "data": {
                "id": charge.reference,
                "status": "authorized",
                "idempotency_key": charge.idempotency_key,
            },
        }
    ).encode()
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in live_gateway.signed(body).items()}
    return client.post("/payments/webhooks/testgateway/", data=body, content_type="application/json", **extra)


def test_a_late_charge_found_by_the_late_check_is_voided(live_gateway, settings):
    payment, charge = failed_as_not_charged(live_gateway, settings)
    assert list(payments_to_check_late()) == []  # settled only just now
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    assert list(payments_to_check_late()) == [payment]

    assert payments_late_check_sweep.call() == 1

    charge.refresh_from_db()
    assert charge.status == "voided"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.VOIDED
    assert payment.gateway_reference == charge.reference
    void = PaymentTransaction.objects.get(payment=payment, kind=TransactionKind.VOID)
    assert void.status == TransactionStatus.SUCCEEDED
    assert void.idempotency_key == f"pay_{payment.uid.hex}_void_late"
    assert events(payment) == [
        "PaymentOutcomeUnknown",
        "PaymentFailed",
        "PaymentLateAuthorization",
        "PaymentLateAuthorizationVoided",
    ]
    # Checked once only: the sweep finds nothing more to do, and nothing is voided twice.
    assert payments_late_check_sweep.call() == 0
    assert PaymentTransaction.objects.filter(kind=TransactionKind.VOID).count() == 1


def test_a_late_charge_reported_by_webhook_is_voided_once(live_gateway, settings, client):
    payment, charge = failed_as_not_charged(live_gateway, settings)

    def post(event_id):
        return post_charge_authorized(client, live_gateway, charge, event_id=event_id)

    assert post("evt_late_1").status_code == 200

    charge.refresh_from_db()
    assert charge.status == "voided"
    payment.refresh_from_db()
    assert (payment.status, payment.gateway_reference) == (PaymentStatus.VOIDED, charge.reference)
    # The same news again (a second event for the same charge) changes nothing.
    assert post("evt_late_2").json() == {"received": True, "duplicate": False}
    assert PaymentTransaction.objects.filter(kind=TransactionKind.VOID).count() == 1
    assert events(payment)[-2:] == ["PaymentLateAuthorization", "PaymentLateAuthorizationVoided"]


def test_a_stale_authorized_report_for_a_voided_payment_changes_nothing(live_gateway, client):
    payment = services.payment_create(
        ref="ORD-V", amount=Decimal("8.00"), currency="GBP", token=live_gateway.token("success")
    )
    payment = services.payment_void(payment=services.payment_authorize(payment=payment))
    body = json.dumps(
        {"id": "evt_old", "type": "charge.authorized", "data": {"id": payment.gateway_reference}}
    ).encode()
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in live_gateway.signed(body).items()}
    response = client.post(
        "/payments/webhooks/testgateway/", data=body, content_type="application/json", **extra
    )
    assert response.status_code == 200
    assert events(payment) == ["PaymentAuthorized", "PaymentVoided"]
    assert PaymentTransaction.objects.filter(kind=TransactionKind.VOID).count() == 1


def test_a_late_void_whose_retries_ran_out_is_sent_again_by_the_sweep(live_gateway, settings, client):
    from shopstack.payments.selectors import payments_owing_late_void
    from shopstack.payments.tasks import MAX_VOID_ATTEMPTS, payment_void_late_task

    payment, charge = failed_as_not_charged(live_gateway, settings)
    gateway_url = live_gateway.backend.base_url
    live_gateway.backend.base_url = "http://127.0.0.1:9/"  # the gateway is unreachable for a while
    response = post_charge_authorized(client, live_gateway, charge, event_id="evt_late_unreachable")
    assert response.status_code == 200
    # The void task ran (tests' immediate backend) and could not reach the gateway; its
    # last retry fails the same way and queues nothing more.
    assert payment_void_late_task.call(payment.pk, MAX_VOID_ATTEMPTS) == "retrying"
    void = PaymentTransaction.objects.get(payment=payment, kind=TransactionKind.VOID)
    assert void.status == TransactionStatus.UNKNOWN
    charge.refresh_from_db()
    assert charge.status == "authorized"

    live_gateway.backend.base_url = gateway_url
    assert list(payments_owing_late_void()) == []  # tried just now: its retries may still be queued
    PaymentTransaction.objects.filter(pk=void.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    assert list(payments_owing_late_void()) == [payment]

    assert payments_late_check_sweep.call() == 1

    charge.refresh_from_db()
    assert charge.status == "voided"
    payment.refresh_from_db()
    assert (payment.status, payment.gateway_reference) == (PaymentStatus.VOIDED, charge.reference)
    void.refresh_from_db()
    assert void.status == TransactionStatus.SUCCEEDED
    assert list(payments_owing_late_void()) == []
    assert events(payment)[-2:] == ["PaymentLateAuthorization", "PaymentLateAuthorizationVoided"]
