"""Payments and their transactions with outside gateways.

A Payment is one attempt to take money for a reference (an order number: payments never
import orders). Every call to a gateway is a PaymentTransaction with its own idempotency
key, written *before* the call, so a crash or timeout leaves a row that says what may
have happened and which key to ask the gateway about.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from shopstack.core.models import TimeStampedModel


class PaymentStatus(models.TextChoices):
    PENDING = "pending"
    ACTION_REQUIRED = "action_required"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Payment(TimeStampedModel):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ref = models.CharField(max_length=64, db_index=True, help_text="What is paid for, e.g. an order number")
    amount = models.DecimalField(max_digits=12, decimal_places=3)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    gateway = models.CharField(max_length=32, help_text="The name of the gateway backend")
    gateway_reference = models.CharField(max_length=64, blank=True, db_index=True)
    token = models.CharField(max_length=128, help_text="The gateway's card token, never a card number")
    action_url = models.URLField(max_length=500, blank=True)
    captured_amount = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal(0))
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal(0))
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(
                fields=("gateway", "gateway_reference"),
                condition=~models.Q(gateway_reference=""),
                name="payment_unique_gateway_reference",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.amount} {self.currency} ({self.status})"


class TransactionKind(models.TextChoices):
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    RECONCILE = "reconcile"


class TransactionStatus(models.TextChoices):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # sent, no answer yet (or the answer was lost): ask again with the same key


class PaymentTransaction(TimeStampedModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=16, choices=TransactionKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal(0))
    status = models.CharField(
        max_length=16, choices=TransactionStatus.choices, default=TransactionStatus.UNKNOWN
    )
    idempotency_key = models.CharField(max_length=128, unique=True)
    gateway_response = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True)
    # When the request last left for the gateway, and how long the client waited for it:
    # until sent_at + timeout (+ a margin) the request may still be on its way, so a
    # lookup that finds nothing proves nothing yet.
    sent_at = models.DateTimeField(null=True, blank=True)
    timeout_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.status})"


class PaymentWebhookEvent(models.Model):
    """A webhook the shop accepted; its unique event id is what makes a replay harmless."""

    gateway = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    type = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("gateway", "event_id"), name="payment_webhook_unique_event")
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id} {self.type}"


# The built-in test gateway keeps its ledger in tables of its own in this app, so it needs
# no entry in INSTALLED_APPS. The shop's code never reads them: it talks to the gateway
# over HTTP only.
from shopstack.payments.testgateway.models import (  # noqa: E402, F401
    LedgerCharge,
    LedgerIdempotencyKey,
    LedgerRefund,
    LedgerToken,
    LedgerWebhook,
)
