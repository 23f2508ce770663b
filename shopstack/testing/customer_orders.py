"""Orders as a customer sees them, made directly in the database for page, API and email
tests (the order engine's own placement is tested in shopstack/orders)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from shopstack.core.events import event_record
from shopstack.core.models import OutboxEvent
from shopstack.orders.models import (
    Order,
    OrderAddress,
    OrderCharge,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
)

PASSWORD = "a long pass phrase 42"
_numbers = itertools.count(1)


def make_customer(email: str = "ann@example.com") -> Any:
    user = get_user_model().objects.create_user(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_order(
    *,
    customer: Any = None,
    email: str | None = None,
    number: str | None = None,
    lines: list[tuple[str, int, str]] | None = None,
    shipping: str = "3.95",
    status: str = Order.Status.CONFIRMED,
    placed_at: datetime | None = None,
    source: str = "shop",
    address: bool = True,
    kind: str = Order.Kind.ORDER,
) -> Order:
    """An order with lines [(product name, quantity, unit price)], a shipping charge and a
    shipping address; totals add up (tax 20% included in the prices)."""
    lines = lines or [("Red mug", 2, "2.95"), ("Teapot", 1, "12.50")]
    subtotal = sum((Decimal(price) * qty for _, qty, price in lines), Decimal(0))
    total = subtotal + Decimal(shipping)
    order = Order.objects.create(
        number=number or f"SS-TEST{next(_numbers):04d}",
        kind=kind,
        status=status,
        customer=customer,
        email=email if email is not None else (customer.email if customer else "guest@example.com"),
        country="GB",
        currency="GBP",
        subtotal_amount=subtotal,
        charges_amount=Decimal(shipping),
        total_amount=total,
        tax_amount=(total / 6).quantize(Decimal("0.01")),
        placed_at=placed_at or timezone.now(),
        source=source,
        shipping_method_name="Royal Mail 2nd class" if address else "",
    )
    for index, (name, quantity, price) in enumerate(lines):
        OrderLine.objects.create(
            order=order,
            sku=f"SKU{index}",
            product_name=name,
            quantity=quantity,
            unit_price_amount=Decimal(price),
            total_amount=Decimal(price) * quantity,
        )
    if Decimal(shipping):
        OrderCharge.objects.create(
            order=order, code="shipping", description="Shipping", amount=Decimal(shipping)
        )
    if address:
        OrderAddress.objects.create(
            order=order,
            kind=OrderAddress.Kind.SHIPPING,
            full_name="Ann Example",
            line1="1 High Street",
            city="Bath",
            postal_code="BA1 1AA",
            country="GB",
        )
    OrderEvent.objects.create(order=order, kind="placed", message="Order placed")
    return order


def make_history(customer: Any, count: int, *, start: datetime | None = None) -> list[Order]:
    """`count` imported orders of the customer, one day apart (oldest first)."""
    start = start or timezone.now() - timedelta(days=count + 1)
    return [
        make_order(
            customer=customer,
            number=f"5{next(_numbers):05d}",
            status=Order.Status.COMPLETED,
            source="import",
            placed_at=start + timedelta(days=i),
            shipping="0",
            address=False,
        )
        for i in range(count)
    ]


def ship(order: Order, *, tracking_number: str = "TRK123456GB") -> Shipment:
    shipment = Shipment.objects.create(
        order=order,
        ref=f"{order.number}-1",
        status=Shipment.Status.SHIPPED,
        carrier="local",
        tracking_number=tracking_number,
        tracking_url=f"https://track.example.com/{tracking_number}",
        shipped_at=timezone.now(),
    )
    for line in order.lines.all():
        ShipmentLine.objects.create(shipment=shipment, line=line, quantity=line.quantity)
        line.quantity_shipped = line.quantity
        line.save(update_fields=["quantity_shipped"])
    return shipment


def order_event(order: Order, name: str, **payload: Any) -> OutboxEvent:
    """Record a domain event about the order the way the order engine does."""
    return event_record(
        name=name,
        aggregate_type="order",
        aggregate_id=order.pk,
        payload={"order_id": order.pk, "number": order.number, "email": order.email, **payload},
    )
