"""The order's life after checkout, from the outbox into the event log.

Each domain event below becomes one analytics event about the order, with its customer
and value. Appended durably (not through a web process's buffer): these are the events
revenue is counted from. The event id is derived from the outbox event's id, so a
handler run twice (the outbox delivers at least once) writes the same event again and
compaction keeps it once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from shopstack.analytics.schema import AnalyticsEvent, Channel, Device, Kind
from shopstack.analytics.services import events_append
from shopstack.analytics.values import derived_event_id, to_minor
from shopstack.core.events import Event
from shopstack.core.models import OutboxEvent
from shopstack.orders.models import Order, OrderLine

# Domain event -> analytics kind. "Paid" is the shop's own word for a captured payment
# (Order.Status.PAID): an authorization (OrderConfirmed) can still be voided.
ORDER_KINDS: dict[str, Kind] = {
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
        event_id=derived_event_id("outbox", event.id),
        customer_id=order.customer_id,
        consent=True,  # the shop's own record of its orders, not a visitor's trail
        channel=Channel.APP if order.source == "api" else Channel.WEB,
        device=Device.OTHER,
        order_id=order_id,
        value_minor=to_minor(_value(kind, payload, order), currency),
        currency=currency,
    )


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
