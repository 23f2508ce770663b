"""Signed events from the gateway: the outcome of an authorization the shop is waiting for."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from shopstack.core.errors import DomainError, NotFound
from shopstack.payments.backends.base import GatewayResult, GatewayStatus, InvalidSignature, WebhookType
from shopstack.payments.models import Payment, PaymentTransaction, PaymentWebhookEvent
from shopstack.payments.services.authorization import _settle_authorization
from shopstack.payments.services.calls import _key, _locked, payment_gateway

logger = logging.getLogger(__name__)


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
