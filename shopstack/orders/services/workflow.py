"""The order workflow: one step at a time, each safe to run twice.

Status machine (Order.status; payment_status and fulfilment_status keep the two sides readable):

    placed -> authorizing -> action_required -> confirmed | cancelled (payment failed)
                          -> confirmed (authorized) -> paid (captured: staff, or
                             ORDERS_AUTO_CAPTURE) -> partially_shipped -> shipped -> delivered
    any before shipping -> cancelled (authorization voided / capture refunded, stock and
                           voucher released); refunds -> refunded when everything paid is back

`Order.next_step` names what a worker must do next ("" = wait for an outside event: the
customer's challenge, a staff action). `order_workflow_run` performs it. Every step:
checks the state first (a repeat finds it done), calls the outside world with an
idempotency key derived from the order (payments and inventory recognise a repeat), then
records the outcome in one transaction with the log entry and the domain event. A
`fault_point` sits between each side effect and its record. A worker killed anywhere
leaves `next_step` set; `order_workflow_resume` re-enqueues it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopstack.core.errors import DomainError
from shopstack.core.faults import fault_point
from shopstack.inventory.services import stock_deallocate
from shopstack.orders.models import Order
from shopstack.orders.services.common import (
    order_kick,
    order_locked,
    order_log,
    order_pending_step,
    order_touch,
)
from shopstack.orders.services.fulfilment import step_ship
from shopstack.orders.services.refunds import step_refund
from shopstack.payments.models import Payment, PaymentStatus
from shopstack.payments.services import (
    payment_authorize,
    payment_capture,
    payment_reconcile,
    payment_refund,
    payment_void,
)
from shopstack.pricing.services import voucher_release

logger = logging.getLogger(__name__)

MAX_STEPS_PER_RUN = 12


def order_payment(order: Order) -> Payment | None:
    return Payment.objects.filter(ref=order.payment_ref).order_by("pk").first() if order.payment_ref else None


def order_workflow_run(*, order_id: int) -> str:
    """Run the order's pending steps until it must wait. Returns the status it ended in.

    Raises GatewayError (and other unexpected errors) for the task to retry with backoff;
    a DomainError from a step (e.g. the gateway refused a capture) is recorded in the log
    and stops the workflow until staff act.
    """
    for _ in range(MAX_STEPS_PER_RUN):
        order = Order.objects.get(pk=order_id)
        step = order.next_step or order_pending_step(order)
        if not step:
            return order.status
        handler = STEPS.get(step)
        if handler is None:
            logger.error("Order %s: unknown workflow step %r", order.number, step)
            return order.status
        try:
            moved = handler(order)
        except DomainError as error:
            _step_refused(order_id, step, error)
            return Order.objects.get(pk=order_id).status
        if not moved:
            return Order.objects.get(pk=order_id).status
    return Order.objects.get(pk=order_id).status


def _step_refused(order_id: int, step: str, error: DomainError) -> None:
    with transaction.atomic():
        order = order_locked(order_id)
        if order.next_step != step:
            return
        order_touch(order, next_step="")
        order_log(
            order,
            "step_refused",
            f"{step}: {error.message}",
            data={"step": step, "code": error.code, "fields": error.fields},
        )


def order_step_failed(*, order_id: int, step: str, error: str, attempt: int) -> None:
    """Record a failed attempt of a step that will be retried (gateway down, ...)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            return
        order.step_attempts = attempt
        order.save(update_fields=["step_attempts", "updated_at"])
        order_log(order, "step_failed", f"{step}: {error}"[:500], data={"step": step, "attempt": attempt})


# --- payment ----------------------------------------------------------------------------


def _step_authorize(order: Order) -> bool:
    payment = order_payment(order)
    if payment is None:
        raise DomainError("The order has no payment.", code="no_payment")
    with transaction.atomic():
        order = order_locked(order.pk)
        if order.next_step != "authorize":
            return True
        if order.status == Order.Status.PLACED:
            order_touch(order, status=Order.Status.AUTHORIZING)
            order_log(order, "authorizing", "Asking the gateway to authorize the payment.")
    fault_point("before_authorize")
    if payment.status == PaymentStatus.UNKNOWN:
        payment = payment_reconcile(payment=payment)
    elif payment.status == PaymentStatus.PENDING:
        payment = payment_authorize(payment=payment, return_url=order.payment_return_url)
    fault_point("after_authorize")
    return order_payment_apply(order_id=order.pk)


def order_payment_apply(*, order_id: int) -> bool:
    """Bring the order in line with its payment's status (after the workflow's call, a
    webhook, a reconciliation). Idempotent. Returns True if the workflow has more to do now."""
    with transaction.atomic():
        order = order_locked(order_id)
        payment = order_payment(order)
        if payment is None or order.kind != Order.Kind.ORDER:
            return False
        status = payment.status
        if order.payment_status != status and status != PaymentStatus.PENDING:
            order_touch(order, payment_status=status)
        cancelling = order.next_step == "cancel" or order.status == Order.Status.CANCELLED
        if cancelling:
            if status in {PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED} and order.next_step != "cancel":
                # The authorization arrived after the order was cancelled: give it back.
                order_log(order, "late_authorization", "Payment authorized after cancelling; voiding.")
                order_kick(order, "cancel")
                return True
            return order.next_step == "cancel"
        if order.status not in {
            Order.Status.PLACED,
            Order.Status.AUTHORIZING,
            Order.Status.ACTION_REQUIRED,
        }:
            return bool(order.next_step)
        if status == PaymentStatus.AUTHORIZED:
            auto = bool(getattr(settings, "ORDERS_AUTO_CAPTURE", False))
            order_touch(order, status=Order.Status.CONFIRMED, next_step="capture" if auto else "")
            order_log(
                order,
                "confirmed",
                "Payment authorized; order confirmed." + (" Capturing automatically." if auto else ""),
                data={"payment_id": payment.pk, "amount": str(payment.amount)},
                event="OrderConfirmed",
                payload={"total": str(order.total_amount), "currency": order.currency},
            )
            return auto
        if status == PaymentStatus.ACTION_REQUIRED:
            if order.status != Order.Status.ACTION_REQUIRED:
                order_touch(order, status=Order.Status.ACTION_REQUIRED, next_step="")
                order_log(
                    order,
                    "action_required",
                    "The customer must complete the card issuer's check.",
                    data={"action_url": payment.action_url},
                    event="OrderActionRequired",
                )
            return False
        if status == PaymentStatus.FAILED:
            if order.next_step == "compensate":
                return True  # already decided (a repeat of the event, or a resumed run)
            order_touch(order, next_step="compensate")
            order_log(
                order,
                "payment_failed",
                f"The payment failed ({payment.failure_code or 'declined'}).",
                data={"failure_code": payment.failure_code},
                event="OrderPaymentFailed",
            )
            return True
        if status == PaymentStatus.UNKNOWN and order.next_step != "authorize":
            order_touch(order, status=Order.Status.AUTHORIZING, next_step="authorize")
        return False  # unknown: reconciliation (or the resume sweep) settles it later


def order_log_late_authorization(*, payment_ref: str, late_reference: str, voided: bool) -> bool:
    """The gateway reported an authorization for the order's payment after the shop had
    settled it as failed or voided (a request that reached the gateway late): note that,
    and then that it was voided, in the order's log (once each). False if no such order."""
    with transaction.atomic():
        order_id = Order.objects.filter(payment_ref=payment_ref).values_list("pk", flat=True).first()
        if order_id is None:
            return False
        order = order_locked(order_id)
        kind = "late_authorization_voided" if voided else "late_authorization_found"
        if order.events.filter(kind=kind).exists():
            return True
        if voided:
            order_touch(order, payment_status=PaymentStatus.VOIDED)
            message = f"The late authorization {late_reference} was voided; no money is held."
        else:
            message = (
                f"The gateway reported authorization {late_reference} after the payment had settled; voiding."
            )
        order_log(order, kind, message, data={"reference": late_reference})
    return True


def _release_goods(order: Order) -> None:
    """Stock and voucher back, each idempotent (a repeat releases nothing), then one log
    entry (written by whichever run gets here first after both are done)."""
    units = stock_deallocate(order_ref=order.number)
    fault_point("after_release_stock")
    vouchers = voucher_release(order_ref=order.number) if order.voucher_code else 0
    fault_point("after_release_voucher")
    with transaction.atomic():
        locked = order_locked(order.pk)
        if not locked.events.filter(kind="released").exists():
            order_log(
                locked,
                "released",
                "Allocated stock and voucher use released.",
                data={"units_this_run": units, "vouchers_this_run": vouchers},
            )


def _cancelled(order: Order, reason: str, **extra: Any) -> None:
    with transaction.atomic():
        order = order_locked(order.pk)
        if order.status == Order.Status.CANCELLED and not order.next_step:
            return
        payment = order_payment(order)
        order_touch(
            order,
            status=Order.Status.CANCELLED,
            cancel_reason=order.cancel_reason or reason,
            fulfilment_status=Order.FulfilmentState.RELEASED,
            payment_status=payment.status if payment else order.payment_status,
            next_step="",
        )
        order_log(
            order,
            "cancelled",
            f"Order cancelled: {order.cancel_reason}.",
            data={"reason": order.cancel_reason, **extra},
            event="OrderCancelled",
        )


def _step_compensate(order: Order) -> bool:
    """The payment failed: stock and voucher go back, the order is cancelled."""
    _release_goods(order)
    _cancelled(order, "payment_failed")
    return False


def _step_capture(order: Order) -> bool:
    payment = order_payment(order)
    if payment is None or payment.status not in {PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED}:
        raise DomainError("Only an authorized payment can be captured.", code="payment_state")
    fault_point("before_capture")
    payment = payment_capture(payment=payment)
    fault_point("after_capture")
    with transaction.atomic():
        order = order_locked(order.pk)
        if order.next_step != "capture":
            return bool(order.next_step)
        order_touch(
            order,
            status=Order.Status.PAID if order.status == Order.Status.CONFIRMED else order.status,
            payment_status=payment.status,
            next_step=order_pending_step(order),
        )
        order_log(
            order,
            "captured",
            f"Captured {payment.captured_amount} {payment.currency}.",
            data={"amount": str(payment.captured_amount)},
            event="OrderCaptured",
            payload={"amount": str(Decimal(payment.captured_amount)), "currency": payment.currency},
        )
    return False


def _step_cancel(order: Order) -> bool:
    """Staff (or the customer) cancelled: money back first, then goods, then the record."""
    payment = order_payment(order)
    fault_point("before_cancel")
    money = "none"
    if payment is not None:
        if payment.status == PaymentStatus.AUTHORIZED:
            payment_void(payment=payment)
            money = "voided"
        elif payment.status in {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED}:
            left = payment.captured_amount - payment.refunded_amount
            if left > 0:
                payment_refund(payment=payment, amount=left, idempotency_key=f"cancel-{order.number}")
            money = "refunded"
        elif payment.status in {PaymentStatus.PENDING, PaymentStatus.UNKNOWN}:
            # Never sent, or outcome unknown: the reconciliation's answer comes back here
            # through order_payment_apply and a late authorization is voided then.
            money = "not_authorized"
    fault_point("after_cancel_payment")
    _release_goods(order)
    _cancelled(order, "cancelled", money=money)
    return False


def order_workflow_resume_due(*, older_than_seconds: int = 120) -> list[int]:
    """Ids of unfinished orders that stopped moving: a step is due but nothing happened
    for `older_than_seconds` (a killed worker, a lost enqueue, a retry that ran out)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Order.objects.exclude(next_step="")
        .filter(progress_at__lte=cutoff)
        .order_by("progress_at")
        .values_list("pk", flat=True)[:500]
    )


STEPS = {
    "authorize": _step_authorize,
    "compensate": _step_compensate,
    "capture": _step_capture,
    "cancel": _step_cancel,
    "refund": step_refund,
    "ship": step_ship,
}
