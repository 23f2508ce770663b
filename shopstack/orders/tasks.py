"""The order workflow's tasks and sweeps (run by `manage.py db_worker`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from shopstack.core.enqueue import enqueue_with_transaction
from shopstack.core.events import Event
from shopstack.orders.models import Order
from shopstack.orders.services import (
    order_log_late_authorization,
    order_payment_apply,
    order_step_failed,
    order_workflow_resume_due,
    order_workflow_run,
    orders_expire_unfinished_payments,
)
from shopstack.payments.backends.base import GatewayError
from shopstack.payments.selectors import payments_to_reconcile
from shopstack.payments.services import payment_reconcile

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RESUME_AFTER_SECONDS = 120


def retry_delay(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s, ... up to ten minutes."""
    return timedelta(seconds=min(5 * 2 ** (attempt - 1), 600))


def order_advance_enqueue(order_id: int, attempt: int = 1, *, delay: timedelta | None = None) -> None:
    """Queue the next step; with a delay only where the backend can defer (tests' immediate
    backend cannot: the resume sweep then picks the order up)."""
    backend = order_advance.get_backend()
    if delay is None:
        order_advance.enqueue(order_id, attempt)
    elif backend.supports_defer:
        order_advance.using(run_after=timezone.now() + delay).enqueue(order_id, attempt)


@task()
def order_advance(order_id: int, attempt: int = 1) -> str:
    """Run the order's due steps; on a failure retry with backoff (the step is idempotent)."""
    try:
        return order_workflow_run(order_id=order_id)
    except Order.DoesNotExist:
        return "missing"
    except Exception as error:  # GatewayError, a database blip, a bug: retried, logged
        step = Order.objects.filter(pk=order_id).values_list("next_step", flat=True).first() or ""
        logger.warning("Order %s step %s failed (attempt %s): %s", order_id, step, attempt, error)
        order_step_failed(
            order_id=order_id, step=step, error=f"{type(error).__name__}: {error}", attempt=attempt
        )
        if attempt < MAX_ATTEMPTS:
            order_advance_enqueue(order_id, attempt + 1, delay=retry_delay(attempt))
        if not isinstance(error, GatewayError):
            raise
        return "retrying"


@task()
def order_workflow_resume(older_than_seconds: int = RESUME_AFTER_SECONDS) -> int:
    """Periodic: re-enqueue orders whose due step made no progress for a while (a killed
    worker's task stays RUNNING in django-tasks-db forever). Steps are idempotent."""
    due = order_workflow_resume_due(older_than_seconds=older_than_seconds)
    for order_id in due:
        order_advance_enqueue(order_id)
    return len(due)


# A shopper sent to the card issuer's check who has not come back in this time has gone.
UNFINISHED_PAYMENT_SECONDS = 30 * 60


@task()
def orders_expire_unfinished(older_than_seconds: int = UNFINISHED_PAYMENT_SECONDS) -> int:
    """Periodic: cancel orders left waiting for a card check that never came back."""
    return len(orders_expire_unfinished_payments(older_than_seconds=older_than_seconds))


@task()
def payments_reconcile_sweep(older_than_seconds: int = 300) -> int:
    """Periodic: settle payments whose authorization outcome is still unknown."""
    settled = 0
    for payment in payments_to_reconcile(older_than=timedelta(seconds=older_than_seconds)):
        try:
            payment_reconcile(payment=payment)
            settled += 1
        except GatewayError as error:
            logger.warning("Reconciling payment %s failed: %s", payment.pk, error)
    return settled


# --- outbox handlers: enqueue the workflow after the event's transaction commits ----------------


def _enqueue_after_commit(order_id: int) -> None:
    # On the database backend the task row commits with the outbox's dispatch mark; on the
    # immediate backend (tests) the step must not run inside the dispatcher's transaction.
    enqueue_with_transaction(order_advance, lambda: order_advance_enqueue(order_id))


def on_order_step_due(event: Event) -> None:
    """OrderPlaced / OrderWorkflowKick: a step is due."""
    _enqueue_after_commit(int(event.payload["order_id"]))


def on_payment_settled(event: Event) -> None:
    """PaymentAuthorized / PaymentFailed / PaymentActionRequired (after a challenge, a
    webhook or a reconciliation): move the order, then run what became due."""
    ref = str(event.payload.get("ref", ""))
    if not ref.startswith("order:"):
        return
    order_id = Order.objects.filter(payment_ref=ref).values_list("pk", flat=True).first()
    if order_id is None:
        return
    if order_payment_apply(order_id=order_id):
        _enqueue_after_commit(order_id)


def on_payment_late_authorization(event: Event) -> None:
    """PaymentLateAuthorization / PaymentLateAuthorizationVoided: note it in the order's log."""
    ref = str(event.payload.get("ref", ""))
    if ref:
        order_log_late_authorization(
            payment_ref=ref,
            late_reference=str(event.payload.get("late_reference", "")),
            voided=event.name == "PaymentLateAuthorizationVoided",
        )
