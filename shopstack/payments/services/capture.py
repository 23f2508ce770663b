"""After authorization: capturing the money, or releasing the authorization."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from shopstack.core.errors import ValidationFailed
from shopstack.payments.models import Payment, PaymentStatus, TransactionKind
from shopstack.payments.services.calls import (
    _amount,
    _begin,
    _event,
    _gateway_for,
    _key,
    _record_success,
    _send,
)


def payment_capture(*, payment: Payment, amount: Decimal | None = None) -> Payment:
    """Take the authorized amount, or less (the rest is released). Once per payment."""
    gateway = _gateway_for(payment)
    wanted = payment.amount if amount is None else _amount(amount, payment.currency)

    def choose(locked: Payment) -> tuple[str, Decimal]:
        if wanted > locked.amount:
            raise ValidationFailed(
                "The capture is larger than the authorization.",
                fields={"amount": [f"Capture at most {locked.amount} {locked.currency}."]},
            )
        return _key(locked, "capture"), wanted

    payment, txn = _begin(
        payment=payment, kind=TransactionKind.CAPTURE, allowed={PaymentStatus.AUTHORIZED}, choose=choose
    )
    if txn is None:
        return payment
    reference, txn_amount = payment.gateway_reference, txn.amount
    result = _send(
        payment=payment,
        txn=txn,
        gateway=gateway,
        call=lambda key: gateway.capture(reference=reference, amount=txn_amount, idempotency_key=key),
    )
    with transaction.atomic():
        payment, txn, first = _record_success(payment=payment, txn=txn, raw=result.raw)
        if not first:
            return payment
        payment.status, payment.captured_amount = PaymentStatus.CAPTURED, txn.amount
        payment.save(update_fields=["status", "captured_amount", "updated_at"])
        _event(payment, "PaymentCaptured", captured_amount=str(txn.amount))
    return payment


def payment_void(*, payment: Payment) -> Payment:
    """Release an authorization that will not be captured (e.g. a cancelled order)."""
    gateway = _gateway_for(payment)
    payment, txn = _begin(
        payment=payment,
        kind=TransactionKind.VOID,
        allowed={PaymentStatus.AUTHORIZED},
        choose=lambda locked: (_key(locked, "void"), Decimal(0)),
    )
    if txn is None:
        return payment
    result = _send(
        payment=payment,
        txn=txn,
        gateway=gateway,
        call=lambda key: gateway.void(reference=payment.gateway_reference, idempotency_key=key),
    )
    with transaction.atomic():
        payment, txn, first = _record_success(payment=payment, txn=txn, raw=result.raw)
        if not first:
            return payment
        payment.status = PaymentStatus.VOIDED
        payment.save(update_fields=["status", "updated_at"])
        _event(payment, "PaymentVoided")
    return payment
