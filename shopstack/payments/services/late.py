"""Late authorizations: a charge the gateway reports for a payment the shop already
failed or voided is recorded as a void owed, and voided (`payment_void_late`)."""

from __future__ import annotations

import logging

from django.db import transaction

from shopstack.payments.backends.base import GatewayResult
from shopstack.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)
from shopstack.payments.services.calls import (
    _event,
    _gateway_for,
    _key,
    _record_success,
    _send,
)

logger = logging.getLogger(__name__)


def _contradicts(payment: Payment, result: GatewayResult) -> bool:
    """True if an authorized charge reported by the gateway is one the shop believes is
    not there: its payment failed, or was voided with a different charge."""
    if payment.status == PaymentStatus.FAILED:
        return True
    return payment.status == PaymentStatus.VOIDED and result.reference not in {"", payment.gateway_reference}


def _late_authorization(*, payment: Payment, result: GatewayResult) -> None:
    """An authorization the gateway reports for a payment already failed or voided: record
    the void to send (once per payment) and announce it; the payments task handler sends
    it (payment_void_late) after commit. Call inside a transaction with `payment` locked."""
    key = _key(payment, "void_late")
    if PaymentTransaction.objects.filter(idempotency_key=key).exists():
        return
    PaymentTransaction.objects.create(
        payment=payment,
        kind=TransactionKind.VOID,
        idempotency_key=key,
        gateway_response={"reference": result.reference, "authorization": result.raw},
    )
    logger.warning(
        "Payment %s (%s): the gateway reports authorization %s; voiding it",
        payment.pk,
        payment.status,
        result.reference,
    )
    _event(payment, "PaymentLateAuthorization", late_reference=result.reference, was=payment.status)


def payment_void_late(*, payment: Payment) -> Payment:
    """Void the authorization _late_authorization recorded for this payment. Idempotent;
    the payment ends VOIDED (PaymentLateAuthorizationVoided). Raises GatewayError when the
    outcome is unknown (retry), Conflict when the gateway refuses."""
    gateway = _gateway_for(payment)
    txn = PaymentTransaction.objects.filter(idempotency_key=_key(payment, "void_late")).first()
    if txn is None or txn.status != TransactionStatus.UNKNOWN:
        return Payment.objects.get(pk=payment.pk)
    reference = str(txn.gateway_response.get("reference") or "")
    result = _send(
        payment=payment,
        txn=txn,
        gateway=gateway,
        call=lambda key: gateway.void(reference=reference, idempotency_key=key),
    )
    with transaction.atomic():
        payment, txn, first = _record_success(
            payment=payment, txn=txn, raw={"reference": reference, "void": result.raw}
        )
        if not first:
            return payment
        payment.status = PaymentStatus.VOIDED
        if not payment.gateway_reference:
            payment.gateway_reference = reference
        payment.save(update_fields=["status", "gateway_reference", "updated_at"])
        _event(payment, "PaymentLateAuthorizationVoided", late_reference=reference)
    return payment
