"""Refunds of captured money, whole or in parts."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from shopstack.core.errors import ValidationFailed
from shopstack.core.money import quantize
from shopstack.payments.models import Payment, PaymentStatus, TransactionKind, TransactionStatus
from shopstack.payments.services.calls import (
    _amount,
    _begin,
    _event,
    _gateway_for,
    _key,
    _record_success,
    _send,
)


def payment_refund(*, payment: Payment, amount: Decimal, idempotency_key: str | None = None) -> Payment:
    """Give back `amount` of what was captured, in one or several refunds.

    Never more than captured minus refunded (refunds in flight count as refunded).
    Pass `idempotency_key` (e.g. the id of the return it pays for) so that a retry of the
    same refund is recognised; without one, a retry is recognised only while the first
    attempt's outcome is still unknown.
    """
    gateway = _gateway_for(payment)
    amount = _amount(amount, payment.currency)

    def choose(locked: Payment) -> tuple[str, Decimal]:
        refunds = locked.transactions.filter(kind=TransactionKind.REFUND)
        if idempotency_key:
            key = _key(locked, f"refund_{idempotency_key}")[:128]
        else:
            in_flight = refunds.filter(status=TransactionStatus.UNKNOWN, amount=amount).first()
            key = in_flight.idempotency_key if in_flight else _key(locked, f"refund_{refunds.count() + 1}")
        existing = refunds.filter(idempotency_key=key).first()
        if existing is not None:
            return key, existing.amount
        pending = refunds.filter(status=TransactionStatus.UNKNOWN).aggregate(total=Sum("amount"))["total"]
        left = locked.captured_amount - locked.refunded_amount - (pending or Decimal(0))
        if amount > left:
            most = quantize(max(left, Decimal(0)), locked.currency)
            raise ValidationFailed(
                "The refund is larger than what is left to refund.",
                fields={"amount": [f"Refund at most {most} {locked.currency}."]},
            )
        return key, amount

    payment, txn = _begin(
        payment=payment,
        kind=TransactionKind.REFUND,
        allowed={PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED},
        choose=choose,
    )
    if txn is None:
        return payment
    reference, txn_amount = payment.gateway_reference, txn.amount
    result = _send(
        payment=payment,
        txn=txn,
        gateway=gateway,
        call=lambda key: gateway.refund(reference=reference, amount=txn_amount, idempotency_key=key),
    )
    with transaction.atomic():
        payment, txn, first = _record_success(payment=payment, txn=txn, raw=result.raw)
        if not first:
            return payment
        payment.refunded_amount += txn.amount
        payment.status = (
            PaymentStatus.REFUNDED
            if payment.refunded_amount >= payment.captured_amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["status", "refunded_amount", "updated_at"])
        _event(
            payment,
            "PaymentRefunded",
            refund_amount=str(txn.amount),
            refunded_amount=str(payment.refunded_amount),
        )
    return payment
