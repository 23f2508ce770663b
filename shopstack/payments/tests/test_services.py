"""Payment services against the live test gateway: every call crosses real HTTP."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.models import OutboxEvent
from shopstack.payments import services
from shopstack.payments.backends.base import GatewayError
from shopstack.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    PaymentWebhookEvent,
    TransactionKind,
    TransactionStatus,
)
from shopstack.payments.testgateway.models import LedgerCharge, LedgerRefund, LedgerToken, LedgerWebhook
from shopstack.testing.payments import PAYMENT_DB

pytestmark = PAYMENT_DB


def events(payment):
    return list(
        OutboxEvent.objects.filter(aggregate_type="payment", aggregate_id=str(payment.pk))
        .order_by("id")
        .values_list("name", flat=True)
    )


def new_payment(gateway, outcome="success", amount="40.00"):
    return services.payment_create(
        ref="ORD-1001", amount=Decimal(amount), currency="GBP", token=gateway.token(outcome)
    )


def test_create_refuses_card_numbers_floats_and_extra_decimals(live_gateway):
    with pytest.raises(ValidationFailed) as card:
        services.payment_create(ref="O1", amount=Decimal("1.00"), currency="GBP", token="4242 4242 4242 4242")
    assert "token" in card.value.fields
    with pytest.raises(ValidationFailed) as floating:
        services.payment_create(ref="O1", amount=1.5, currency="GBP", token="tok_success")
    assert "amount" in floating.value.fields
    with pytest.raises(ValidationFailed) as precise:
        services.payment_create(ref="O1", amount=Decimal("1.005"), currency="GBP", token="tok_success")
    assert "amount" in precise.value.fields
    with pytest.raises(ValidationFailed) as empty:
        services.payment_create(ref="", amount=Decimal("1.00"), currency="pounds", token="")
    assert set(empty.value.fields) == {"ref", "currency", "token"}
    assert not Payment.objects.exists()


def test_authorize_success_once_even_when_called_again(live_gateway):
    payment = new_payment(live_gateway)
    payment = services.payment_authorize(payment=payment)
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.gateway_reference.startswith("ch_")
    again = services.payment_authorize(payment=payment)
    assert again.status == PaymentStatus.AUTHORIZED
    assert LedgerCharge.objects.count() == 1
    txn = PaymentTransaction.objects.get()
    assert (txn.kind, txn.status) == (TransactionKind.AUTHORIZE, TransactionStatus.SUCCEEDED)
    assert txn.idempotency_key == f"pay_{payment.uid.hex}_authorize"
    assert LedgerCharge.objects.get().idempotency_key == txn.idempotency_key
    assert events(payment) == ["PaymentAuthorized"]


@pytest.mark.parametrize(
    ("outcome", "code"), [("decline", "card_declined"), ("insufficient_funds", "insufficient_funds")]
)
def test_refusals_fail_the_payment_with_the_reason(live_gateway, outcome, code):
    payment = services.payment_authorize(payment=new_payment(live_gateway, outcome))
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == code
    assert PaymentTransaction.objects.get().status == TransactionStatus.FAILED
    assert events(payment) == ["PaymentFailed"]
    with pytest.raises(Conflict):
        services.payment_capture(payment=payment)


def test_an_unknown_token_fails_the_payment(live_gateway):
    payment = services.payment_create(ref="O1", amount=Decimal("5.00"), currency="GBP", token="tok_nonsense")
    payment = services.payment_authorize(payment=payment)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "invalid_token"


def test_action_required_then_challenge_approved_then_webhook_authorizes(live_gateway):
    payment = new_payment(live_gateway, "action_required")
    payment = services.payment_authorize(payment=payment, return_url=f"{live_gateway.shop_url}/checkout/done")
    assert payment.status == PaymentStatus.ACTION_REQUIRED
    assert payment.action_url.startswith(f"{live_gateway.shop_url}/_testgateway/challenge/")
    assert events(payment) == ["PaymentActionRequired"]

    back = live_gateway.complete_challenge(payment.action_url, approve=True)

    assert back.startswith(f"{live_gateway.shop_url}/checkout/done?")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert PaymentWebhookEvent.objects.get().type == "payment.authorized"
    assert LedgerWebhook.objects.get().delivered_at is not None
    assert (
        PaymentTransaction.objects.get(kind=TransactionKind.AUTHORIZE).status == TransactionStatus.SUCCEEDED
    )
    assert events(payment) == ["PaymentActionRequired", "PaymentAuthorized"]
    assert LedgerCharge.objects.count() == 1


def test_challenge_failed_fails_the_payment(live_gateway):
    payment = services.payment_authorize(payment=new_payment(live_gateway, "action_required"))
    live_gateway.complete_challenge(payment.action_url, approve=False)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "authentication_failed"
    assert events(payment) == ["PaymentActionRequired", "PaymentFailed"]


def test_timeout_leaves_unknown_and_reconciliation_settles_it_once(live_gateway):
    # The tests' immediate task backend runs the reconcile task as soon as the outbox
    # announces PaymentOutcomeUnknown, while the gateway is still holding its answer back.
    payment = services.payment_authorize(payment=new_payment(live_gateway, "timeout"))
    assert payment.status == PaymentStatus.UNKNOWN  # what the call itself learned
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert events(payment) == ["PaymentOutcomeUnknown", "PaymentAuthorized"]
    kinds = list(PaymentTransaction.objects.values_list("kind", "status"))
    assert kinds == [
        (TransactionKind.AUTHORIZE, TransactionStatus.SUCCEEDED),
        (TransactionKind.RECONCILE, TransactionStatus.SUCCEEDED),
    ]
    # Retrying everything changes nothing and charges nothing more.
    services.payment_authorize(payment=payment)
    services.payment_reconcile(payment=payment)
    assert LedgerCharge.objects.count() == 1
    assert events(payment) == ["PaymentOutcomeUnknown", "PaymentAuthorized"]


def test_timeout_with_the_database_task_queue_reconciles_in_the_worker(live_gateway, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    payment = services.payment_authorize(payment=new_payment(live_gateway, "timeout"))
    worker = ["db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "default"]
    call_command(*worker, verbosity=0)  # dispatches the outbox: the reconcile task is queued for later
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.UNKNOWN
    queued = DBTaskResult.objects.filter(task_path__endswith="payment_reconcile_task")
    assert queued.count() == 1
    assert queued.get().run_after > timezone.now()

    queued.update(run_after=timezone.now())  # time passes
    call_command(*worker, verbosity=0)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert LedgerCharge.objects.count() == 1
    assert events(payment) == ["PaymentOutcomeUnknown", "PaymentAuthorized"]


def test_reconcile_fails_a_payment_the_gateway_never_charged(live_gateway, settings):
    payment = new_payment(live_gateway)
    options = settings.PAYMENT_GATEWAY["OPTIONS"]
    live_gateway.backend.base_url = "http://127.0.0.1:9/"  # the gateway is down: the call cannot be sent
    with pytest.raises(GatewayError):
        services.payment_authorize(payment=payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert PaymentTransaction.objects.get().status == TransactionStatus.UNKNOWN

    live_gateway.backend.base_url = options["base_url"]
    payment = services.payment_reconcile(payment=payment)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "not_charged"
    assert not LedgerCharge.objects.exists()


def test_capture_partial_refunds_and_over_refund_refused(live_gateway):
    payment = services.payment_authorize(payment=new_payment(live_gateway, amount="50.00"))
    with pytest.raises(ValidationFailed) as too_much:
        services.payment_capture(payment=payment, amount=Decimal("50.01"))
    assert "amount" in too_much.value.fields
    payment = services.payment_capture(payment=payment, amount=Decimal("45.00"))
    assert (payment.status, payment.captured_amount) == (PaymentStatus.CAPTURED, Decimal("45.00"))
    assert services.payment_capture(payment=payment).captured_amount == Decimal("45.00")  # once only

    payment = services.payment_refund(payment=payment, amount=Decimal("10.00"), idempotency_key="return-1")
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    payment = services.payment_refund(payment=payment, amount=Decimal("10.00"), idempotency_key="return-1")
    assert payment.refunded_amount == Decimal("10.00")  # the same refund, not a second one
    with pytest.raises(ValidationFailed) as over:
        services.payment_refund(payment=payment, amount=Decimal("35.01"))
    assert over.value.fields["amount"] == ["Refund at most 35.00 GBP."]
    payment = services.payment_refund(payment=payment, amount=Decimal("35.00"))
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, Decimal("45.00"))
    assert LedgerRefund.objects.count() == 2
    assert LedgerCharge.objects.get().status == "refunded"
    assert events(payment) == ["PaymentAuthorized", "PaymentCaptured", "PaymentRefunded", "PaymentRefunded"]
    with pytest.raises(ValidationFailed) as nothing_left:
        services.payment_refund(payment=payment, amount=Decimal("1.00"))
    assert nothing_left.value.fields["amount"] == ["Refund at most 0.00 GBP."]


def test_void_and_nothing_after_it(live_gateway):
    payment = services.payment_authorize(payment=new_payment(live_gateway))
    with pytest.raises(ValidationFailed) as nothing_left:
        services.payment_refund(payment=payment, amount=Decimal("1.00"))
    assert nothing_left.value.fields["amount"] == ["Refund at most 0.00 GBP."]
    payment = services.payment_void(payment=payment)
    assert payment.status == PaymentStatus.VOIDED
    assert services.payment_void(payment=payment).status == PaymentStatus.VOIDED
    with pytest.raises(Conflict):
        services.payment_capture(payment=payment)
    assert LedgerCharge.objects.get().status == "voided"
    assert events(payment) == ["PaymentAuthorized", "PaymentVoided"]


def test_card_numbers_never_reach_the_shop(live_gateway, client):
    number = "4242424242424242"
    payment = services.payment_create(
        ref="ORD-9", amount=Decimal("12.00"), currency="GBP", token=live_gateway.card_token(number)
    )
    payment = services.payment_authorize(payment=payment)
    services.payment_capture(payment=payment)
    action = services.payment_authorize(payment=new_payment(live_gateway, "action_required"))
    live_gateway.complete_challenge(action.action_url, approve=True)
    stored = json.dumps(
        [
            list(model.objects.values())
            for model in (Payment, PaymentTransaction, PaymentWebhookEvent, OutboxEvent)
        ],
        default=str,
    )
    assert payment.token.startswith("tok_")
    assert "ORD-9" in stored  # the rows are there...
    assert number not in stored  # ...and the card number is not
    assert number not in json.dumps(list(LedgerToken.objects.values()), default=str)  # not even the gateway's


def test_two_workers_authorizing_the_same_payment_charge_once(live_gateway):
    import threading

    from django.db import connection

    payment = new_payment(live_gateway)
    results, errors = [], []

    def work():
        try:
            results.append(services.payment_authorize(payment=Payment.objects.get(pk=payment.pk)).status)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)  # longer than the gateway client's timeout
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert results == [PaymentStatus.AUTHORIZED, PaymentStatus.AUTHORIZED]
    assert LedgerCharge.objects.count() == 1
    assert PaymentTransaction.objects.count() == 1
    assert events(payment) == ["PaymentAuthorized"]


def test_a_gateway_refusing_our_key_is_retried_not_a_declined_card(live_gateway):
    """A shop whose gateway key is wrong (or rotated) must not cancel its customers' orders
    as if their cards were declined: the payment stays pending and the call is retried."""
    payment = new_payment(live_gateway)
    right_key = live_gateway.backend.api_key
    live_gateway.backend.api_key = "sk_test_wrong"
    with pytest.raises(GatewayError) as refused:
        services.payment_authorize(payment=payment)
    assert refused.value.http_status == 401
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert "PaymentFailed" not in events(payment)
    assert not LedgerCharge.objects.exists()
    live_gateway.backend.api_key = right_key  # fixed: the retry authorizes, once
    assert services.payment_authorize(payment=payment).status == PaymentStatus.AUTHORIZED
    assert LedgerCharge.objects.count() == 1
