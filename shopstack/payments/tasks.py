"""Background work for payments: settling payments whose outcome the gateway did not tell
us, and voiding authorizations that arrive for payments already failed or voided."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from shopstack.core.errors import DomainError
from shopstack.core.events import Event
from shopstack.payments.backends.base import GatewayError
from shopstack.payments.models import Payment, PaymentStatus
from shopstack.payments.selectors import payments_owing_late_void, payments_to_check_late
from shopstack.payments.services import payment_reconcile, payment_void_late

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


MAX_VOID_ATTEMPTS = 10


def payment_void_late_schedule(*, payment_id: int, attempt: int = 1) -> None:
    """Queue the void of a late authorization: after the caller's commit on backends that
    run tasks at once (the void writes at the gateway; no transaction may wait on it)."""
    backend = payment_void_late_task.get_backend()
    if not backend.supports_defer:
        if attempt == 1:
            transaction.on_commit(lambda: payment_void_late_task.enqueue(payment_id, attempt))
    elif attempt == 1:
        payment_void_late_task.enqueue(payment_id, attempt)
    else:
        run_after = timezone.now() + reconcile_delay(attempt - 1)
        payment_void_late_task.using(run_after=run_after).enqueue(payment_id, attempt)


@task()
def payment_void_late_task(payment_id: int, attempt: int = 1) -> str:
    """Give back an authorization the shop does not want; retried with backoff while the
    gateway cannot answer."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return "missing"
    try:
        payment = payment_void_late(payment=payment)
    except GatewayError as error:
        logger.warning(
            "Voiding late authorization of payment %s failed (attempt %s): %s", payment_id, attempt, error
        )
        if attempt < MAX_VOID_ATTEMPTS:
            payment_void_late_schedule(payment_id=payment_id, attempt=attempt + 1)
        return "retrying"
    except DomainError as error:
        logger.error(
            "The gateway refused to void the late authorization of payment %s: %s", payment_id, error
        )
        return "refused"
    return payment.status


def on_payment_late_authorization(event: Event) -> None:
    """Outbox handler: PaymentLateAuthorization -> void it."""
    payment_void_late_schedule(payment_id=int(event.aggregate_id))


@task()
def payments_late_check_sweep() -> int:
    """Periodic: look once more for a charge behind each payment reconciliation failed as
    not charged (a request can land later than any timeout); one found is voided. Then
    send again every late void still owed whose own retries ran out or were lost.
    Returns how many payments it settled a question for."""
    done = 0
    for payment in payments_to_check_late():
        try:
            payment_reconcile(payment=payment)
            done += 1
        except GatewayError as error:
            logger.warning("Late check of payment %s failed: %s", payment.pk, error)
    for payment in payments_owing_late_void():
        try:
            payment_void_late(payment=payment)
            done += 1
        except GatewayError as error:
            logger.warning("Owed void of the late authorization of payment %s failed: %s", payment.pk, error)
        except DomainError as error:
            logger.error(
                "The gateway refused to void the late authorization of payment %s: %s", payment.pk, error
            )
    return done
