"""Reads of orders for their customer: account pages, guest lookup, the API and emails.

Every function that finds an order by number takes the user (or the proven email) along,
so another customer's order is "not found" whatever number is guessed. What a customer
sees is shaped here (`OrderView`): lines, totals, addresses, shipments, returns and the
part of the event log meant for them, never staff notes or the workflow's internals.
Fields that an order does not have (imported history has no addresses or shipments)
come out empty.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from shopstack.core.errors import NotFound
from shopstack.orders.models import Order

# The event log entries a customer sees, with the words they see (staff notes, retries and
# the workflow's own bookkeeping stay out).
CUSTOMER_EVENTS: dict[str, str] = {
    "placed": "Order placed",
    "confirmed": "Payment authorized: order confirmed",
    "authorized": "Payment authorized: order confirmed",
    "action_required": "Waiting for you to confirm the payment with your bank",
    "payment_failed": "Payment did not go through",
    "captured": "Payment taken",
    "shipped": "Parcel shipped",
    "partially_shipped": "Part of the order shipped",
    "delivered": "Delivered",
    "cancelled": "Order cancelled",
    "refunded": "Refund issued",
    "partially_refunded": "Part of the order refunded",
    "return_requested": "Return requested",
    "return_approved": "Return approved",
    "return_rejected": "Return declined",
    "return_received": "Returned items received",
    "return_refunded": "Return refunded",
    "return_replaced": "Replacement sent",
}

# Statuses in the customer's words (the staff labels say what the workflow is doing).
CUSTOMER_STATUSES: dict[str, str] = {
    "completed": "Completed",
    "placed": "Received",
    "authorizing": "Processing payment",
    "action_required": "Waiting for you to confirm the payment",
    "confirmed": "Confirmed",
    "paid": "Paid",
    "partially_shipped": "Partly shipped",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
}

NOT_FOUND_MESSAGE = "No order with that number in your account."


@dataclass(frozen=True)
class LineView:
    id: int
    sku: str
    product_name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    quantity_shipped: int
    quantity_returned: int
    returnable: int = 0  # shipped units not already in a (not rejected) return


@dataclass(frozen=True)
class AddressView:
    full_name: str
    company: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str

    def as_lines(self) -> list[str]:
        place = " ".join(part for part in (self.city, self.region, self.postal_code) if part)
        parts = [self.full_name, self.company, self.line1, self.line2, place, self.country]
        return [part for part in parts if part]


@dataclass(frozen=True)
class ShipmentView:
    ref: str
    status: str
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime | None
    lines: list[tuple[str, int]]  # (product name, quantity)


@dataclass(frozen=True)
class ReturnView:
    number: str
    status: str
    reason: str
    refund_amount: Decimal
    created_at: datetime | None
    lines: list[tuple[str, int]]


@dataclass(frozen=True)
class EventView:
    kind: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class OrderView:
    id: int
    number: str
    kind: str
    status: str
    status_label: str
    placed_at: datetime
    email: str
    currency: str
    customer_id: int | None
    source: str
    lines: list[LineView]
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    shipping_method: str
    charges: list[tuple[str, Decimal]]  # (description, amount)
    tax: Decimal
    total: Decimal
    refunded: Decimal
    shipping_address: AddressView | None
    billing_address: AddressView | None
    shipments: list[ShipmentView]
    returns: list[ReturnView]
    events: list[EventView]

    @property
    def is_cancellation(self) -> bool:
        return self.kind == Order.Kind.CANCELLATION

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def can_request_return(self) -> bool:
        return any(line.returnable > 0 for line in self.lines)


# Finding orders --------------------------------------------------------------------------


def customer_orders(*, user: Any) -> QuerySet[Order]:
    """The signed-in customer's orders, newest first, with their item counts.

    Imported history is linked to the account by the importer, so it is included."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Order.objects.none()
    return (
        Order.objects.filter(customer_id=user.pk)
        .annotate(item_count=Sum("lines__quantity"), line_count=Count("lines"))
        .order_by("-placed_at", "-pk")
    )


def customer_order(*, user: Any, number: str) -> Order:
    """The customer's own order by number; NotFound for anyone else's (or none)."""
    order = None
    if user is not None and getattr(user, "is_authenticated", False) and _plausible_number(number):
        order = Order.objects.filter(number=number, customer_id=user.pk).first()
    if order is None:
        raise NotFound(NOT_FOUND_MESSAGE, fields={"number": ["No such order in your account."]})
    return order


def order_lookup(*, number: str, email: str) -> Order | None:
    """A guest's order by its number and the email it was placed with, or None.

    One answer for a wrong number and a wrong email alike (the caller shows one message)."""
    number, email = (number or "").strip(), (email or "").strip().lower()
    if not _plausible_number(number) or not email:
        return None
    order = Order.objects.filter(number=number, kind=Order.Kind.ORDER).first()
    if order is None or not order.email:
        return None
    if not hmac.compare_digest(order.email.strip().lower().encode(), email.encode()):
        return None
    return order


def order_for_access(*, number: str, user: Any, granted: list[str] | None) -> Order:
    """The order if the request may see it: the signed-in owner, or a session that proved
    number + email through the lookup. NotFound otherwise."""
    if _plausible_number(number):
        order = Order.objects.filter(number=number).first()
        if order is not None:
            owner = order.customer_id is not None and user is not None and order.customer_id == user.pk
            if owner or number in (granted or []):
                return order
    raise NotFound(NOT_FOUND_MESSAGE, fields={"number": ["No such order."]})


def status_label(status: str) -> str:
    return CUSTOMER_STATUSES.get(status) or status.replace("_", " ").capitalize()


def order_by_id(*, order_id: int) -> Order | None:
    return Order.objects.filter(pk=order_id).first()


def _plausible_number(number: str) -> bool:
    return isinstance(number, str) and 0 < len(number) <= 32


# Shaping ---------------------------------------------------------------------------------


def order_view(*, order: Order) -> OrderView:
    """Everything the customer may see of one order (a handful of queries)."""
    lines = list(order.lines.all().order_by("pk"))
    names = {line.pk: line.product_name for line in lines}
    held = _units_in_returns(order)
    addresses = _addresses(order)
    charges = list(order.charges.all().order_by("pk"))
    shipping = sum((c.amount for c in charges if c.code.lower().startswith("ship")), Decimal(0))
    return OrderView(
        id=order.pk,
        number=order.number,
        kind=order.kind,
        status=order.status,
        status_label=status_label(order.status),
        placed_at=order.placed_at,
        email=order.email,
        currency=order.currency,
        customer_id=order.customer_id,
        source=order.source,
        lines=[
            LineView(
                id=line.pk,
                sku=line.sku,
                product_name=line.product_name,
                quantity=line.quantity,
                unit_price=line.unit_price_amount,
                total=line.total_amount,
                quantity_shipped=getattr(line, "quantity_shipped", 0),
                quantity_returned=getattr(line, "quantity_returned", 0),
                returnable=max(0, getattr(line, "quantity_shipped", 0) - held.get(line.pk, 0)),
            )
            for line in lines
        ],
        subtotal=order.subtotal_amount,
        discount=getattr(order, "discount_amount", Decimal(0)),
        shipping=shipping,
        shipping_method=getattr(order, "shipping_method_name", ""),
        charges=[(c.description, c.amount) for c in charges],
        tax=getattr(order, "tax_amount", Decimal(0)),
        total=order.total_amount,
        refunded=getattr(order, "refunded_amount", Decimal(0)),
        shipping_address=addresses.get("shipping"),
        billing_address=addresses.get("billing"),
        shipments=_shipments(order, names),
        returns=_returns(order, names),
        events=_events(order),
    )


def _units_in_returns(order: Order) -> dict[int, int]:
    returns = _related(order, "returns")
    if returns is None:
        return {}
    rows = (
        returns.exclude(status="rejected")
        .values("lines__line_id")
        .annotate(units=Sum("lines__quantity"))
        .values_list("lines__line_id", "units")
    )
    return {line_id: units or 0 for line_id, units in rows if line_id is not None}


def _related(order: Order, name: str) -> QuerySet[Any] | None:
    # Imported history and older schemas may lack a relation: empty, not an error.
    manager = getattr(order, name, None)
    return manager.all() if manager is not None else None


def _addresses(order: Order) -> dict[str, AddressView]:
    """The order's addresses by kind (shipping, billing), in one query."""
    addresses = _related(order, "addresses")
    if addresses is None:
        return {}
    return {
        found.kind: AddressView(
            **{field: getattr(found, field, "") or "" for field in AddressView.__dataclass_fields__}
        )
        for found in addresses
    }


def _shipments(order: Order, names: dict[int, str]) -> list[ShipmentView]:
    shipments = _related(order, "shipments")
    if shipments is None:
        return []
    return [
        ShipmentView(
            ref=shipment.ref,
            status=shipment.get_status_display(),
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            tracking_url=shipment.tracking_url,
            shipped_at=shipment.shipped_at,
            lines=[(names.get(sl.line_id, ""), sl.quantity) for sl in shipment.lines.all()],
        )
        for shipment in shipments.prefetch_related("lines").order_by("pk")
    ]


def _returns(order: Order, names: dict[int, str]) -> list[ReturnView]:
    returns = _related(order, "returns")
    if returns is None:
        return []
    return [
        ReturnView(
            number=rma.number,
            status=rma.get_status_display(),
            reason=rma.reason,
            refund_amount=rma.refund_amount,
            created_at=rma.created_at,
            lines=[(names.get(rl.line_id, ""), rl.quantity) for rl in rma.lines.all()],
        )
        for rma in returns.prefetch_related("lines").order_by("pk")
    ]


def _events(order: Order) -> list[EventView]:
    events = _related(order, "events")
    if events is None:
        return []
    return [
        EventView(kind=event.kind, text=CUSTOMER_EVENTS[event.kind], created_at=event.created_at)
        for event in events.filter(kind__in=list(CUSTOMER_EVENTS)).order_by("pk")
    ]
