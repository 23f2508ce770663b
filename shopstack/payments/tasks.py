"""Background work for payments: settling payments whose outcome the gateway did not tell us."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from shopstack.core.events import Event
from shopstack.payments.backends.base import GatewayError
from shopstack.payments.models import Payment, PaymentStatus
from shopstack.payments.services import payment_reconcile

logger = logging.getLogger(__name__)

MAX_RECONCILE_ATTEMPTS = 10


def reconcile_delay(attempt: int) -> timedelta:
    """10 s, 20 s, 40 s, ... up to an hour: long enough for a slow gateway to finish first."""
    return timedelta(seconds=min(10 * 2 ** (attempt - 1), 3600))


def payment_reconcile_schedule(*, payment_id: int, attempt: int = 1) -> None:
    """Queue a reconciliation; backends that cannot defer (tests' immediate one) run it now."""
    if payment_reconcile_task.get_backend().supports_defer:
        run_after = timezone.now() + reconcile_delay(attempt)
        payment_reconcile_task.using(run_after=run_after).enqueue(payment_id, attempt)
    elif attempt == 1:
        payment_reconcile_task.enqueue(payment_id, attempt)


@task()
def payment_reconcile_task(payment_id: int, attempt: int = 1) -> str:
    """Ask the gateway what became of an authorization; retried with backoff while unsettled."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return "missing"
    try:
        payment = payment_reconcile(payment=payment)
    except GatewayError as error:
        logger.warning("Reconciling payment %s failed (attempt %s): %s", payment_id, attempt, error)
    if payment.status == PaymentStatus.UNKNOWN and attempt < MAX_RECONCILE_ATTEMPTS:
        payment_reconcile_schedule(payment_id=payment_id, attempt=attempt + 1)
    return payment.status


def on_payment_outcome_unknown(event: Event) -> None:
    """Outbox handler: a timed-out authorization gets a reconciliation (at least once)."""
    payment_reconcile_schedule(payment_id=int(event.aggregate_id))
