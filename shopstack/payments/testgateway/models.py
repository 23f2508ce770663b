"""The test gateway's ledger: tokens, charges, refunds, idempotency keys, webhook deliveries."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class LedgerToken(models.Model):
    """What the hosted form made of a card: an outcome and the last four digits, no card number."""

    token = models.CharField(max_length=64, unique=True)
    outcome = models.CharField(max_length=32)
    last4 = models.CharField(max_length=4)
    brand = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "payments"
        db_table = "testgateway_token"

    def __str__(self) -> str:
        return self.token


class LedgerCharge(models.Model):
    reference = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=128, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=3)
    currency = models.CharField(max_length=3)
    token = models.CharField(max_length=64)
    status = models.CharField(max_length=32)
    decline_code = models.CharField(max_length=32, blank=True)
    captured_amount = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal(0))
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal(0))
    return_url = models.URLField(max_length=500, blank=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "payments"
        db_table = "testgateway_charge"

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"


class LedgerRefund(models.Model):
    reference = models.CharField(max_length=64, unique=True)
    charge = models.ForeignKey(LedgerCharge, on_delete=models.CASCADE, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "payments"
        db_table = "testgateway_refund"

    def __str__(self) -> str:
        return self.reference


class LedgerIdempotencyKey(models.Model):
    """The first answer to a request with this key; a repeat gets it back, unchanged."""

    key = models.CharField(max_length=128, unique=True)
    endpoint = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "payments"
        db_table = "testgateway_idempotency_key"

    def __str__(self) -> str:
        return self.key


class LedgerWebhook(models.Model):
    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64)
    url = models.URLField(max_length=500)
    body = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "payments"
        db_table = "testgateway_webhook"

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
