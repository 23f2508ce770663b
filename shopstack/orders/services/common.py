"""What every order service shares: the event log, domain events, locking, numbers."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from shopstack.core.errors import NotFound
from shopstack.core.events import event_record
from shopstack.orders.models import Order, OrderEvent

NUMBER_PREFIX = "SS-"
_BASE32 = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone

# Statuses in which the workflow has nothing left to do by itself.
TERMINAL = {
    Order.Status.COMPLETED,
    Order.Status.CANCELLED,
    Order.Status.DELIVERED,
    Order.Status.REFUNDED,
}


def order_number_new() -> str:
    """A new order number like "SS-7KQ2M9XA": never a number of the imported history
    (digits, or "C" + digits), unguessable, easy to read out."""
    while True:
        number = NUMBER_PREFIX + "".join(secrets.choice(_BASE32) for _ in range(8))
        if not Order.objects.filter(number=number).exists():
            return number


def order_payload(order: Order, **extra: Any) -> dict[str, Any]:
    """The fields every order event carries, then the event's own."""
    return {"order_id": order.pk, "number": order.number, "email": order.email, **extra}


def order_log(
    order: Order,
    kind: str,
    message: str = "",
    *,
    data: dict[str, Any] | None = None,
    actor_id: int | None = None,
    event: str = "",
    payload: dict[str, Any] | None = None,
) -> OrderEvent:
    """Write one entry of the order's log and, with `event`, the domain event in the same
    transaction (the outbox). Call inside the transaction of the change it records."""
    entry = OrderEvent.objects.create(
        order=order, kind=kind, message=message[:500], data=data or {}, actor_id=actor_id
    )
    if event:
        event_record(
            name=event,
            aggregate_type="order",
            aggregate_id=order.pk,
            payload=order_payload(order, **(payload if payload is not None else data or {})),
        )
    return entry


def order_kick(order: Order, step: str) -> None:
    """Set the workflow's next step and ask, through the outbox, for a worker to run it."""
    order.next_step = step
    order.progress_at = timezone.now()
    order.step_attempts = 0
    order.save(update_fields=["next_step", "progress_at", "step_attempts", "updated_at"])
    event_record(
        name="OrderWorkflowKick",
        aggregate_type="order",
        aggregate_id=order.pk,
        payload=order_payload(order, step=step),
    )


def order_locked(order_id: int) -> Order:
    """The order row, locked until the end of the caller's transaction."""
    assert transaction.get_connection().in_atomic_block, "lock orders inside a transaction"
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.", fields={"order": ["This order does not exist."]})
    return order


def order_touch(order: Order, **changes: Any) -> Order:
    """Apply `changes` to the (locked) order and mark progress now."""
    for name, value in changes.items():
        setattr(order, name, value)
    order.progress_at = timezone.now()
    order.save(update_fields=[*changes, "progress_at", "updated_at"])
    return order


def order_pending_step(order: Order) -> str:
    """Staff work waiting for a worker when no other step is due: refunds, then labels."""
    if order.refunds.filter(status="pending").exists():
        return "refund"
    if order.shipments.filter(status="picking").exists():
        return "ship"
    return ""


def order_request_step(order: Order, step: str) -> None:
    """Ask for `step` on a locked order: it becomes the next step unless another is due,
    which then runs first (`order_pending_step` finds this work after it)."""
    if order.next_step in {"", step}:
        order_kick(order, step)
    else:
        order_touch(order)
