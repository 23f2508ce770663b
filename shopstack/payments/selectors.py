"""Reads of payments that need more than a .get()."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from shopstack.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)


def payments_to_reconcile(*, older_than: timedelta = timedelta(minutes=5)) -> QuerySet[Payment]:
    """Payments whose authorization outcome is unknown (timed out, or a worker died mid-call)."""
    cutoff = timezone.now() - older_than
    stuck = PaymentTransaction.objects.filter(
        kind=TransactionKind.AUTHORIZE, status=TransactionStatus.UNKNOWN, updated_at__lt=cutoff
    ).values("payment_id")
    return Payment.objects.filter(
        status__in=[PaymentStatus.UNKNOWN, PaymentStatus.PENDING, PaymentStatus.ACTION_REQUIRED],
        pk__in=stuck,
    ).order_by("pk")


def payment_transactions(*, payment: Payment) -> QuerySet[PaymentTransaction]:
    return payment.transactions.order_by("id")
