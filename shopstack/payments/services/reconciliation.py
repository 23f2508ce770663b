"""Reconciliation: asking the gateway what became of an authorization with no known outcome."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from shopstack.payments.backends.base import GatewayError, GatewayResult, GatewayStatus
from shopstack.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)
from shopstack.payments.services.authorization import _settle_authorization
from shopstack.payments.services.calls import (
    NOT_CHARGED,
    UNSETTLED,
    _gateway_for,
    _key,
    _locked,
    _mark_sent,
    payment_in_flight_until,
)


def payment_reconcile(*, payment: Payment) -> Payment:
    """Settle a payment whose authorization has no known outcome by asking the gateway.

    Looks the charge up by the authorization's idempotency key: found, the payment takes
    its status; not found, nothing was charged and the payment fails, but only once the
    request can no longer arrive (payment_in_flight_until): until then it stays as it is
    and a later run decides. Never sends a new authorization, so it cannot charge. A
    payment failed as not charged is looked up once more (the late check): a charge
    found then is voided (PaymentLateAuthorization). Raises GatewayError if the gateway
    cannot answer.
    """
    gateway = _gateway_for(payment)
    with transaction.atomic():
        payment = _locked(payment)
        auth = PaymentTransaction.objects.filter(idempotency_key=_key(payment, "authorize")).first()
        if auth is None:
            return payment
        if payment.status == PaymentStatus.FAILED and payment.failure_code == NOT_CHARGED:
            check_key = _key(payment, "late_check")
            if PaymentTransaction.objects.filter(idempotency_key=check_key).exists():
                return payment
        elif payment.status in UNSETTLED and auth.status == TransactionStatus.UNKNOWN:
            attempt = payment.transactions.filter(kind=TransactionKind.RECONCILE).count() + 1
            check_key = _key(payment, f"reconcile_{attempt}")
        else:
            return payment
        check = PaymentTransaction.objects.create(
            payment=payment, kind=TransactionKind.RECONCILE, amount=payment.amount, idempotency_key=check_key
        )
    _mark_sent(check, gateway)
    try:
        result = gateway.find(idempotency_key=auth.idempotency_key)
    except GatewayError as error:
        PaymentTransaction.objects.filter(pk=check.pk).update(error_message=error.message)
        raise
    with transaction.atomic():
        payment = _locked(payment)
        auth = PaymentTransaction.objects.get(pk=auth.pk)
        check.status = TransactionStatus.SUCCEEDED
        check.gateway_response = result.raw if result else {"found": False}
        if payment.status not in UNSETTLED:
            check.save(update_fields=["status", "gateway_response", "updated_at"])
            return _settle_authorization(payment=payment, txn=None, result=result) if result else payment
        if auth.status != TransactionStatus.UNKNOWN:
            check.save(update_fields=["status", "gateway_response", "updated_at"])
            return payment
        if result is not None:
            check.save(update_fields=["status", "gateway_response", "updated_at"])
            return _settle_authorization(payment=payment, txn=auth, result=result)
        in_flight_until = payment_in_flight_until(txn=auth, gateway=gateway)
        if in_flight_until is not None and timezone.now() < in_flight_until:
            # The authorization may still be on its way to the gateway: "not found" now
            # proves nothing. Leave the payment unsettled for a later run.
            check.gateway_response = {"found": False, "in_flight_until": in_flight_until.isoformat()}
            check.save(update_fields=["status", "gateway_response", "updated_at"])
            return payment
        check.save(update_fields=["status", "gateway_response", "updated_at"])
        if payment.status == PaymentStatus.ACTION_REQUIRED:
            return payment
        nothing = GatewayResult(status=GatewayStatus.FAILED, reference="", decline_code=NOT_CHARGED)
        return _settle_authorization(payment=payment, txn=auth, result=nothing)
