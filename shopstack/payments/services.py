"""Payments: authorize, capture, void, refund, reconcile and gateway webhooks.

Every gateway call follows the same three steps, so that no retry, crash or timeout can
charge twice:

1. In a short transaction, with the payment row locked: check the rule, and write the
   PaymentTransaction with its idempotency key (derived from the payment, so a retry
   reuses it) and status UNKNOWN.
2. Outside any transaction: call the gateway with that key. (No row lock or SQLite write
   lock is held while the network is slow.)
3. In a second transaction, again locked: record the answer, move the payment, and write
   the domain event, unless another worker already settled the same transaction.

Gateway calls block for up to the gateway timeout: call these from tasks (the workflow
worker), not from web requests, except where the customer waits for the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from shopstack.core.backends import load_backend
from shopstack.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from shopstack.core.events import event_record
from shopstack.core.money import quantize
from shopstack.payments.backends.base import (
    GatewayError,
    GatewayResult,
    GatewayStatus,
    InvalidSignature,
    PaymentGateway,
    WebhookType,
)
from shopstack.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    PaymentWebhookEvent,
    TransactionKind,
    TransactionStatus,
)

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


def payment_create(*, ref: str, amount: Decimal, currency: str, token: str) -> Payment:
    """A pending payment of `amount` for `ref`, to be paid with a gateway card token."""
    currency = (currency or "").upper()
    errors: dict[str, list[str]] = {}
    if not ref or len(ref) > 64:
        errors["ref"] = ["Give the reference of what is paid for (1 to 64 characters)."]
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = ["Give an ISO 4217 currency code."]
    if not token or len(token) > 128:
        errors["token"] = ["Give the card token from the gateway's payment form."]
    elif _looks_like_card_number(token):
        errors["token"] = ["This is a card number. Cards are entered on the gateway's form only."]
    if errors:
        raise ValidationFailed("The payment is not valid.", fields=errors)
    amount = _amount(amount, currency)
    return Payment.objects.create(
        ref=ref, amount=amount, currency=currency, token=token, gateway=payment_gateway().name
    )


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


# --- authorization -------------------------------------------------------------------------


def payment_authorize(*, payment: Payment, return_url: str = "") -> Payment:
    """Ask the gateway to authorize the payment; the answer decides the new status.

    AUTHORIZED; ACTION_REQUIRED with `action_url` (send the customer there; the gateway
    comes back to `return_url` and tells the shop by webhook); FAILED with failure_code;
    or UNKNOWN when the gateway did not answer in time: a reconciliation task then asks
    the gateway what happened. Calling again is safe: the same idempotency key is sent,
    so the card is never charged twice.
    """
    gateway = _gateway_for(payment)
    payment, txn = _begin(
        payment=payment,
        kind=TransactionKind.AUTHORIZE,
        allowed={PaymentStatus.PENDING, PaymentStatus.UNKNOWN},
        choose=lambda locked: (_key(locked, "authorize"), locked.amount),
    )
    if txn is None:
        return payment
    previous_sent_at = _mark_sent(txn, gateway)
    try:
        result = gateway.authorize(
            amount=payment.amount,
            currency=payment.currency,
            token=payment.token,
            idempotency_key=txn.idempotency_key,
            return_url=return_url,
        )
    except GatewayError as error:
        return _authorize_unanswered(payment=payment, txn=txn, error=error, previous_sent_at=previous_sent_at)
    with transaction.atomic():
        return _settle_authorization(payment=_locked(payment), txn=txn, result=result)


def _authorize_unanswered(
    *, payment: Payment, txn: PaymentTransaction, error: GatewayError, previous_sent_at: datetime | None
) -> Payment:
    if not error.outcome_unknown and error.http_status is None:
        # Refused before sending: nothing happened (this time), so nothing is in flight
        # but what an earlier attempt with the same key may have sent. Retry the call.
        PaymentTransaction.objects.filter(pk=txn.pk, status=TransactionStatus.UNKNOWN).update(
            error_message=error.message, sent_at=previous_sent_at, updated_at=timezone.now()
        )
        raise error
    with transaction.atomic():
        payment = _locked(payment)
        txn = PaymentTransaction.objects.get(pk=txn.pk)
        if txn.status != TransactionStatus.UNKNOWN or payment.status not in UNSETTLED:
            return payment  # a webhook or a reconciliation got there first
        txn.error_message = error.message
        if not error.outcome_unknown:
            txn.status = TransactionStatus.FAILED
            txn.save(update_fields=["status", "error_message", "updated_at"])
            payment.status, payment.failure_code = PaymentStatus.FAILED, error.code[:64]
            payment.failure_message = error.message[:255]
            payment.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
            _event(payment, "PaymentFailed", failure_code=payment.failure_code)
            return payment
        txn.save(update_fields=["error_message", "updated_at"])
        if payment.status != PaymentStatus.UNKNOWN:
            payment.status = PaymentStatus.UNKNOWN
            payment.save(update_fields=["status", "updated_at"])
            # The payments task handler schedules payment_reconcile_task for this event.
            _event(payment, "PaymentOutcomeUnknown", idempotency_key=txn.idempotency_key)
        return payment


def _settle_authorization(
    *, payment: Payment, txn: PaymentTransaction | None, result: GatewayResult
) -> Payment:
    """Step 3 of an authorization, also reached by reconciliation and webhooks.

    Call inside a transaction with `payment` locked. Idempotent: a settled payment
    (authorized or failed) is never moved again by a late or repeated answer.
    """
    if payment.status not in UNSETTLED:
        if result.status == GatewayStatus.AUTHORIZED and _contradicts(payment, result):
            _late_authorization(payment=payment, result=result)
        return payment
    if txn is not None:
        txn.gateway_response = result.raw or txn.gateway_response
    fields = ["status", "gateway_reference", "action_url", "updated_at"]
    if result.reference:
        payment.gateway_reference = result.reference
    if result.status == GatewayStatus.AUTHORIZED:
        payment.status, payment.action_url, event = PaymentStatus.AUTHORIZED, "", "PaymentAuthorized"
        txn_status = TransactionStatus.SUCCEEDED
    elif result.status == GatewayStatus.ACTION_REQUIRED:
        event = "" if payment.status == PaymentStatus.ACTION_REQUIRED else "PaymentActionRequired"
        payment.status, payment.action_url = PaymentStatus.ACTION_REQUIRED, result.action_url
        txn_status = TransactionStatus.UNKNOWN  # the challenge decides
    elif result.status in FAILED_RESULTS:
        payment.status, payment.action_url, event = PaymentStatus.FAILED, "", "PaymentFailed"
        payment.failure_code = (result.decline_code or result.status)[:64]
        fields.append("failure_code")
        txn_status = TransactionStatus.FAILED
    else:
        logger.warning("Payment %s: gateway status %r ignored", payment.pk, result.status)
        return payment
    payment.save(update_fields=fields)
    if txn is not None:
        txn.status = txn_status
        txn.save(update_fields=["status", "gateway_response", "updated_at"])
    if event:
        extra = {"action_url": payment.action_url} if event == "PaymentActionRequired" else {}
        if event == "PaymentFailed":
            extra = {"failure_code": payment.failure_code}
        _event(payment, event, **extra)
    return payment


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
    _mark_sent(txn, gateway)
    try:
        result = gateway.void(reference=reference, idempotency_key=txn.idempotency_key)
    except GatewayError as error:
        _call_failed(payment=payment, txn=txn, error=error)
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


# --- after authorization -------------------------------------------------------------------


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
    _mark_sent(txn, gateway)
    try:
        result = gateway.capture(
            reference=payment.gateway_reference, amount=txn.amount, idempotency_key=txn.idempotency_key
        )
    except GatewayError as error:
        _call_failed(payment=payment, txn=txn, error=error)
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
    _mark_sent(txn, gateway)
    try:
        result = gateway.void(reference=payment.gateway_reference, idempotency_key=txn.idempotency_key)
    except GatewayError as error:
        _call_failed(payment=payment, txn=txn, error=error)
    with transaction.atomic():
        payment, txn, first = _record_success(payment=payment, txn=txn, raw=result.raw)
        if not first:
            return payment
        payment.status = PaymentStatus.VOIDED
        payment.save(update_fields=["status", "updated_at"])
        _event(payment, "PaymentVoided")
    return payment


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
    _mark_sent(txn, gateway)
    try:
        result = gateway.refund(
            reference=payment.gateway_reference, amount=txn.amount, idempotency_key=txn.idempotency_key
        )
    except GatewayError as error:
        _call_failed(payment=payment, txn=txn, error=error)
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


# --- the customer's side and the gateway's webhooks ----------------------------------------


def payment_hosted_form_url(*, session_ref: str, return_url: str) -> str:
    """Where the customer enters the card; the gateway sends them back to `return_url`
    with `token` in the query string (use it in payment_create)."""
    return payment_gateway().hosted_form_url(session_ref=session_ref, return_url=return_url)


def payment_handle_webhook(*, gateway: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Apply a signed gateway event. Returns False for a replay (an event id seen before),
    which changes nothing. A bad signature raises DomainError (code invalid_signature)."""
    backend = payment_gateway()
    if backend.name != gateway:
        raise NotFound(f"No payment gateway called {gateway}.")
    try:
        event = backend.verify_webhook(body=body, headers=headers)
    except InvalidSignature as error:
        raise DomainError(str(error), code="invalid_signature", fields={"signature": [str(error)]}) from error
    with transaction.atomic():
        try:
            with transaction.atomic():
                PaymentWebhookEvent.objects.create(
                    gateway=gateway, event_id=event.id, type=event.type, payload=event.data
                )
        except IntegrityError:
            return False
        payment = (
            Payment.objects.select_for_update()
            .filter(gateway=gateway, gateway_reference=event.reference)
            .first()
        )
        if payment is None and event.data.get("idempotency_key"):
            txn = PaymentTransaction.objects.filter(idempotency_key=event.data["idempotency_key"]).first()
            payment = _locked(txn.payment) if txn else None
        if payment is None:
            logger.warning("Gateway event %s for unknown charge %s ignored", event.id, event.reference)
            return True
        status = {WebhookType.AUTHORIZED: GatewayStatus.AUTHORIZED, WebhookType.FAILED: GatewayStatus.FAILED}
        if event.type in status:
            auth = PaymentTransaction.objects.filter(idempotency_key=_key(payment, "authorize")).first()
            result = GatewayResult(
                status=status[event.type],
                reference=event.reference,
                decline_code=str(event.data.get("decline_code") or ""),
                raw=event.data,
            )
            _settle_authorization(payment=payment, txn=auth, result=result)
    return True
