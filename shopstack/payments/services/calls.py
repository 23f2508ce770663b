"""The three steps every gateway call takes, and what they share.

1. In a short transaction, with the payment row locked: check the rule, and write the
   PaymentTransaction with its idempotency key (derived from the payment, so a retry
   reuses it) and status UNKNOWN (`_begin`).
2. Outside any transaction: call the gateway with that key (`_mark_sent` first). No row
   lock or SQLite write lock is held while the network is slow.
3. In a second transaction, again locked: record the answer, move the payment, and write
   the domain event, unless another worker already settled the same transaction
   (`_record_success`, `_call_failed`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopstack.core.backends import load_backend
from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.events import event_record
from shopstack.core.money import quantize
from shopstack.payments.backends.base import GatewayError, GatewayResult, GatewayStatus, PaymentGateway
from shopstack.payments.models import Payment, PaymentStatus, PaymentTransaction, TransactionStatus

logger = logging.getLogger(__name__)

UNSETTLED = {PaymentStatus.PENDING, PaymentStatus.UNKNOWN, PaymentStatus.ACTION_REQUIRED}
FAILED_RESULTS = {GatewayStatus.DECLINED, GatewayStatus.INSUFFICIENT_FUNDS, GatewayStatus.FAILED}
# The failure code of a payment that reconciliation settled because the gateway had no
# charge for it; the only failure that a charge arriving later can contradict.
NOT_CHARGED = "not_charged"
DEFAULT_RECONCILE_MARGIN_SECONDS = 30.0


def payment_gateway() -> PaymentGateway:
    """The gateway backend named by settings.PAYMENT_GATEWAY."""
    return load_backend("PAYMENT_GATEWAY")


def _gateway_for(payment: Payment) -> PaymentGateway:
    gateway = payment_gateway()
    if gateway.name != payment.gateway:
        raise Conflict(
            f"This payment was made with the {payment.gateway} gateway, which is not configured.",
            code="gateway_not_configured",
        )
    return gateway


def _key(payment: Payment, action: str) -> str:
    return f"pay_{payment.uid.hex}_{action}"


def _amount(value: Decimal, currency: str, *, field: str = "amount") -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValidationFailed(
            "The amount is not valid.", fields={field: ["Give a positive Decimal amount."]}
        )
    if quantize(value, currency) != value:
        raise ValidationFailed(
            "The amount has more decimal places than the currency.",
            fields={field: [f"Round it to the minor unit of {currency} first."]},
        )
    return value


def _looks_like_card_number(token: str) -> bool:
    digits = token.replace(" ", "").replace("-", "")
    return digits.isdigit() and 12 <= len(digits) <= 19


def _event(payment: Payment, name: str, **extra: Any) -> None:
    payload = {
        "payment_id": payment.pk,
        "ref": payment.ref,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "status": payment.status,
        "gateway": payment.gateway,
        "gateway_reference": payment.gateway_reference,
        **extra,
    }
    event_record(name=name, aggregate_type="payment", aggregate_id=payment.pk, payload=payload)


def _locked(payment: Payment) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment.pk)


def _mark_sent(txn: PaymentTransaction, gateway: PaymentGateway) -> datetime | None:
    """Record, before the request leaves, when it was sent and how long the client will
    wait. Returns the previous send time (restored when the request never left)."""
    previous = PaymentTransaction.objects.filter(pk=txn.pk).values_list("sent_at", flat=True).first()
    txn.sent_at, txn.timeout_seconds = timezone.now(), float(gateway.timeout)
    PaymentTransaction.objects.filter(pk=txn.pk).update(
        sent_at=txn.sent_at, timeout_seconds=txn.timeout_seconds, updated_at=txn.sent_at
    )
    return previous


def payment_in_flight_until(*, txn: PaymentTransaction, gateway: PaymentGateway) -> datetime | None:
    """Until when a request sent for `txn` may still reach the gateway and take effect:
    its send time plus the client's timeout, the gateway's lookup delay and a margin
    (settings.PAYMENTS_RECONCILE_MARGIN_SECONDS). None if it was never sent."""
    if txn.sent_at is None:
        return None
    timeout = txn.timeout_seconds if txn.timeout_seconds is not None else float(gateway.timeout)
    margin = float(getattr(settings, "PAYMENTS_RECONCILE_MARGIN_SECONDS", DEFAULT_RECONCILE_MARGIN_SECONDS))
    return txn.sent_at + timedelta(seconds=timeout + float(gateway.lookup_delay) + margin)


def _begin(
    *, payment: Payment, kind: str, allowed: set[str], choose: Callable[[Payment], tuple[str, Decimal]]
) -> tuple[Payment, PaymentTransaction | None]:
    """Step 1: the transaction to send, or None when there is nothing (more) to do.

    `choose(locked_payment)` checks the rule and names the idempotency key and amount.
    An UNKNOWN transaction with the same key is sent again: the key makes that safe.
    """
    with transaction.atomic():
        locked = _locked(payment)
        key, amount = choose(locked)
        txn = PaymentTransaction.objects.filter(idempotency_key=key).first()
        if txn is not None and txn.status == TransactionStatus.SUCCEEDED:
            return locked, None
        if locked.status not in allowed:
            if txn is not None:
                return locked, None
            raise Conflict(
                f"A {locked.status.replace('_', ' ')} payment cannot be {kind}d.",
                code="payment_state",
                fields={"status": [f"The payment is {locked.status}."]},
            )
        if txn is not None and txn.status == TransactionStatus.FAILED:
            raise Conflict(f"The gateway refused this {kind}: {txn.error_message}", code="gateway_refused")
        if txn is None:
            txn = PaymentTransaction.objects.create(
                payment=locked, kind=kind, amount=amount, idempotency_key=key
            )
        return locked, txn


def _record_success(
    *, payment: Payment, txn: PaymentTransaction, raw: dict[str, Any]
) -> tuple[Payment, PaymentTransaction, bool]:
    """Step 3 for capture/void/refund when the gateway said yes: lock both rows and mark the
    transaction succeeded. False if another run already settled it (the caller then stops).
    Call inside a transaction."""
    payment = _locked(payment)
    txn = PaymentTransaction.objects.select_for_update().get(pk=txn.pk)
    if txn.status != TransactionStatus.UNKNOWN:
        return payment, txn, False
    txn.status, txn.gateway_response = TransactionStatus.SUCCEEDED, raw
    txn.save(update_fields=["status", "gateway_response", "updated_at"])
    return payment, txn, True


def _send(
    *,
    payment: Payment,
    txn: PaymentTransaction,
    gateway: PaymentGateway,
    call: Callable[[str], GatewayResult],
) -> GatewayResult:
    """Step 2 for capture/void/refund: note the send, then `call(idempotency_key)`. A call
    that fails goes through `_call_failed`, which records it and raises."""
    _mark_sent(txn, gateway)
    try:
        return call(txn.idempotency_key)
    except GatewayError as error:
        _call_failed(payment=payment, txn=txn, error=error)


def _call_failed(*, payment: Payment, txn: PaymentTransaction, error: GatewayError) -> NoReturn:
    """Step 3 for capture/void/refund when the gateway gave no answer or refused."""
    with transaction.atomic():
        txn = PaymentTransaction.objects.select_for_update().get(pk=txn.pk)
        txn.error_message = error.message
        refused = error.http_status is not None and not error.outcome_unknown
        if refused and txn.status == TransactionStatus.UNKNOWN:
            txn.status = TransactionStatus.FAILED
        txn.save(update_fields=["error_message", "status", "updated_at"])
    if refused:
        raise Conflict(f"The gateway refused this {txn.kind}: {error.message}", code=error.code) from error
    raise error  # outcome unknown or gateway unreachable: the same call may be retried
