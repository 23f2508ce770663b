"""The order's life, from the outbox into the event log.

Each domain event below becomes one analytics event about the order, with its customer
and value. Appended durably (events_append, not a web process's buffer) before the
handler returns, so before the outbox marks its delivery done: a worker killed after
that has already stored the event, and one killed before it leaves the delivery pending,
to be run again. The event id is derived from the outbox event's id, so a handler run
twice (the outbox delivers at least once) writes the same event again and compaction
keeps it once.

`order_placed` is recorded twice on purpose. The checkout's request records it with the
visit (visitor, session, campaign: what ties revenue to a session) through the buffer,
which a killed web process can lose; OrderPlaced, written in the order's own transaction,
records it here without a visit. Both copies carry the order's event id
(`values.order_placed_event_id`) and compaction keeps one, preferring the
visit's copy (warehouse/compaction.py), so the order is never lost and keeps its
attribution whenever the request's copy arrives.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from shopstack.analytics.schema import AnalyticsEvent, Channel, Device, Kind
from shopstack.analytics.services import events_append
from shopstack.analytics.values import derived_event_id, order_placed_event_id, to_minor
from shopstack.core.events import Event
from shopstack.core.models import OutboxEvent
from shopstack.orders.models import Order, OrderLine

# Domain event -> analytics kind. "Paid" is the shop's own word for a captured payment
# (Order.Status.PAID): an authorization (OrderConfirmed) can still be voided.
ORDER_KINDS: dict[str, Kind] = {
    "OrderPlaced": Kind.ORDER_PLACED,  # the checkout's request records it with the visit too
    "OrderCaptured": Kind.ORDER_PAID,
    "OrderShipped": Kind.ORDER_SHIPPED,
    "OrderDelivered": Kind.ORDER_DELIVERED,
    "OrderCancelled": Kind.ORDER_CANCELLED,
    "OrderRefunded": Kind.ORDER_REFUNDED,
    "ReturnReceived": Kind.ORDER_RETURNED,  # the goods are back (refunds are OrderRefunded)
}


def order_event(event: Event) -> AnalyticsEvent | None:
    """The analytics event for an order's domain event, or None if the order is gone."""
    kind = ORDER_KINDS[event.name]
    payload = event.payload
    order_id = int(payload.get("order_id") or event.aggregate_id)
    order = (
        Order.objects.filter(pk=order_id).only("customer_id", "currency", "total_amount", "source").first()
    )
    if order is None:
        return None
    occurred_at = OutboxEvent.objects.filter(pk=event.id).values_list("created_at", flat=True).first()
    currency = str(payload.get("currency") or order.currency)
    return AnalyticsEvent(
        kind,
        occurred_at=occurred_at or timezone.now(),
        event_id=_event_id(kind, order_id, event),
        customer_id=order.customer_id,
        consent=True,  # the shop's own record of its orders, not a visitor's trail
        channel=Channel.APP if order.source == "api" else Channel.WEB,
        device=Device.OTHER,
        order_id=order_id,
        value_minor=to_minor(_value(kind, payload, order), currency),
        currency=currency,
    )


def _event_id(kind: Kind, order_id: int, event: Event) -> str:
    if kind is Kind.ORDER_PLACED:
        return order_placed_event_id(order_id)  # as the checkout's request's copy: one order, one event
    return derived_event_id("outbox", event.id)


def _value(kind: Kind, payload: dict[str, Any], order: Order) -> Decimal:
    if kind in (Kind.ORDER_PAID, Kind.ORDER_REFUNDED) and payload.get("amount") is not None:
        return Decimal(str(payload["amount"]))
    if kind is Kind.ORDER_RETURNED:
        returned = {int(line["line_id"]): int(line["quantity"]) for line in payload.get("lines", [])}
        prices = OrderLine.objects.filter(pk__in=returned).values_list("pk", "quantity", "total_amount")
        # What the customer paid per unit (after discounts), times the units sent back.
        return sum(
            (total / quantity * returned[pk] for pk, quantity, total in prices if quantity), Decimal(0)
        )
    return order.total_amount


def order_event_record(event: Event) -> None:
    found = order_event(event)
    if found is not None:
        events_append([found])
