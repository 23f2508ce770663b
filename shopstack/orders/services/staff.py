"""Staff decisions that move money: capture and cancel. They record the decision; a
worker makes the gateway call (never a web request: the gateway may be slow)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shopstack.core.errors import Conflict
from shopstack.orders.models import Order
from shopstack.orders.services.common import order_kick, order_locked, order_log, order_touch

CANCELLABLE = {
    Order.Status.PLACED,
    Order.Status.AUTHORIZING,
    Order.Status.ACTION_REQUIRED,
    Order.Status.CONFIRMED,
    Order.Status.PAID,
}


def order_capture(*, order: Order, actor_id: int | None = None) -> Order:
    """Take the authorized payment (OrderCaptured when the gateway confirms). Idempotent:
    a repeat while it is under way, or after, changes nothing. Conflict (code
    order_state) unless the order is confirmed."""
    with transaction.atomic():
        order = order_locked(order.pk)
        if order.next_step == "capture" or order.status == Order.Status.PAID:
            return order
        if order.status != Order.Status.CONFIRMED:
            raise Conflict(
                f"A {order.get_status_display().lower()} order cannot be captured.",
                code="order_state",
                fields={"status": ["Only a confirmed order (payment authorized) can be captured."]},
            )
        order_log(order, "capture_requested", "Capture requested.", actor_id=actor_id)
        order_kick(order, "capture")
    return order


def order_cancel(*, order: Order, reason: str = "", actor_id: int | None = None) -> Order:
    """Cancel an order that has not shipped: a worker voids the authorization (or refunds
    the capture), releases the stock and the voucher, then OrderCancelled. Idempotent."""
    with transaction.atomic():
        order = order_locked(order.pk)
        if order.next_step == "cancel" or order.status == Order.Status.CANCELLED:
            return order
        if order.status not in CANCELLABLE or order.shipments.exists():
            raise Conflict(
                f"A {order.get_status_display().lower()} order cannot be cancelled.",
                code="order_state",
                fields={"status": ["Orders that have shipped are returned, not cancelled."]},
            )
        order_touch(order, cancel_reason=(reason or "cancelled by staff")[:64])
        order_log(order, "cancel_requested", f"Cancel requested: {order.cancel_reason}.", actor_id=actor_id)
        order_kick(order, "cancel")
    return order


def orders_expire_unfinished_payments(*, older_than_seconds: int) -> list[str]:
    """Cancel orders whose shopper never finished the card issuer's check (status action
    required, no progress for `older_than_seconds`): their stock and voucher go back to
    other shoppers. If the check is completed after all, the late authorization is voided
    by the workflow (order_payment_apply). Returns the numbers cancelled."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stale = Order.objects.filter(status=Order.Status.ACTION_REQUIRED, progress_at__lte=cutoff).order_by("pk")
    cancelled = []
    for order in stale[:500]:
        order_cancel(order=order, reason="payment not completed")
        cancelled.append(order.number)
    return cancelled
