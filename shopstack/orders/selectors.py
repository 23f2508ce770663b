"""Reads of orders. Customer-facing reads take the user (or the guest's number + email),
so nobody ever sees another customer's order by guessing a number or an id."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from shopstack.core.errors import NotFound
from shopstack.inventory.models import Allocation
from shopstack.orders.models import Order, OrderEvent, OrderLine, ReturnRequest, Shipment
from shopstack.payments.models import Payment, PaymentTransaction

NOT_FOUND = "We could not find that order."


def orders_for_customer(*, user: Any) -> QuerySet[Order]:
    """The signed-in customer's orders, newest first (none for anonymous users)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Order.objects.none()
    return Order.objects.filter(customer_id=user.pk, kind=Order.Kind.ORDER).order_by("-placed_at", "-pk")


def _with_details(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
        "charges",
        "addresses",
        Prefetch("shipments", queryset=Shipment.objects.order_by("pk").prefetch_related("lines")),
        Prefetch("returns", queryset=ReturnRequest.objects.order_by("pk").prefetch_related("lines")),
    )


def order_for_customer(*, user: Any, number: str) -> Order:
    """One of the customer's own orders by number; NotFound for anyone else's (the same
    answer as for a number that does not exist)."""
    order = _with_details(orders_for_customer(user=user)).filter(number=number).first()
    if order is None:
        raise NotFound(NOT_FOUND, fields={"number": [NOT_FOUND]})
    return order


def order_for_guest(*, number: str, email: str) -> Order:
    """Guest lookup: the order number and the email it was placed with must both match."""
    number, email = (number or "").strip().upper(), (email or "").strip()
    order = None
    if number and email:
        order = (
            _with_details(Order.objects.filter(kind=Order.Kind.ORDER))
            .filter(number=number, email__iexact=email)
            .first()
        )
    if order is None:
        raise NotFound(NOT_FOUND, fields={"number": [NOT_FOUND]})
    return order


def order_events(*, order: Order, customer_visible: bool = False) -> QuerySet[OrderEvent]:
    """The order's log in order; for customers only the milestones."""
    events = order.events.order_by("pk")
    if customer_visible:
        events = events.filter(
            kind__in=[
                "placed",
                "confirmed",
                "action_required",
                "payment_failed",
                "captured",
                "shipped",
                "delivered",
                "cancelled",
                "refunded",
                "return_requested",
                "return_approved",
                "return_received",
                "return_refunded",
                "return_replaced",
            ]
        )
    return events


def order_payments(*, order: Order) -> list[tuple[Payment, list[PaymentTransaction]]]:
    """Staff: the order's payments with their gateway transactions."""
    if not order.payment_ref:
        return []
    payments = Payment.objects.filter(ref=order.payment_ref).order_by("pk").prefetch_related("transactions")
    return [(payment, list(payment.transactions.order_by("pk"))) for payment in payments]


def order_allocations(*, order: Order) -> QuerySet[Allocation]:
    """Staff: which warehouse holds which line's units, and their state."""
    return (
        Allocation.objects.filter(order_ref=order.number)
        .select_related("warehouse")
        .order_by("line_ref", "pk")
    )
