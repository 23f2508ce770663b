"""Authorizing a payment, and settling its outcome (also for reconciliation and webhooks)."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from shopstack.core.errors import ValidationFailed
from shopstack.payments.backends.base import GatewayError, GatewayResult, GatewayStatus, refused_unprocessed
from shopstack.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)
from shopstack.payments.services.calls import (
    FAILED_RESULTS,
    UNSETTLED,
    _amount,
    _begin,
    _event,
    _gateway_for,
    _key,
    _locked,
    _looks_like_card_number,
    _mark_sent,
    payment_gateway,
)
from shopstack.payments.services.late import _contradicts, _late_authorization
from shopstack.payments.services.return_urls import payment_return_url_check

logger = logging.getLogger(__name__)


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
    if refused_unprocessed(error):
        # Refused before sending, or turned away for our key or our rate (a misconfigured
        # or throttled shop is not a declined card): nothing happened this time, so nothing
        # is in flight but what an earlier attempt with the same key may have sent. The
        # order's step fails and is retried with backoff; the payment stays pending.
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


def payment_hosted_form_url(*, session_ref: str, return_url: str, shop_origin: str) -> str:
    """Where the customer enters the card; the gateway sends them back to `return_url`
    with `token` in the query string (use it in payment_create). `return_url` must be on
    the shop's own site (`shop_origin`, the origin it was asked on, or
    PAYMENT_RETURN_ORIGINS) or an app link scheme (PAYMENT_RETURN_SCHEMES): ValidationFailed
    on `return_url` otherwise, before the gateway is asked anything."""
    payment_return_url_check(url=return_url, shop_origin=shop_origin)
    return payment_gateway().hosted_form_url(session_ref=session_ref, return_url=return_url)
