"""Reads of payments that need more than a .get()."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, QuerySet
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


def payments_to_check_late(
    *, settled_before: timedelta = timedelta(minutes=10), within: timedelta = timedelta(days=7)
) -> QuerySet[Payment]:
    """Payments reconciliation failed as not charged, at least `settled_before` ago (and
    within `within`), not yet looked up a second time."""
    now = timezone.now()
    checked = PaymentTransaction.objects.filter(
        payment=OuterRef("pk"), kind=TransactionKind.RECONCILE, idempotency_key__endswith="_late_check"
    )
    return (
        Payment.objects.filter(
            status=PaymentStatus.FAILED,
            failure_code="not_charged",
            updated_at__lt=now - settled_before,
            updated_at__gte=now - within,
        )
        .exclude(Exists(checked))
        .order_by("pk")
    )


def payments_owing_late_void(*, untouched_for: timedelta = timedelta(hours=1)) -> QuerySet[Payment]:
    """Payments whose late authorization is still to be voided: the void transaction that
    `_late_authorization` wrote is neither succeeded nor refused, and nothing has tried it
    for `untouched_for` (longer than the void task's longest wait between retries, so
    this finds voids whose retries ran out or whose task was lost, not ones queued)."""
    owed = PaymentTransaction.objects.filter(
        payment=OuterRef("pk"),
        kind=TransactionKind.VOID,
        idempotency_key__endswith="_void_late",
        status=TransactionStatus.UNKNOWN,
        updated_at__lt=timezone.now() - untouched_for,
    )
    return Payment.objects.filter(Exists(owed)).order_by("pk")


def payment_transactions(*, payment: Payment) -> QuerySet[PaymentTransaction]:
    return payment.transactions.order_by("id")
