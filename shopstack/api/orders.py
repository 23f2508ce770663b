"""The signed-in customer's orders: history and one order, for web and mobile apps.

Only the owner sees an order: any other number (another customer's, a guest's, none)
is the same 404. Reads go through `shopstack.orders.customer_selectors`.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from shopstack.api import cursor as cursors
from shopstack.api.auth import SESSION_TOKEN_HEADER, signed_in
from shopstack.api.schemas import ErrorOut
from shopstack.orders import customer_selectors
from shopstack.orders.customer_selectors import AddressView, OrderView
from shopstack.orders.models import Order

router = Router(tags=["orders"])

ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
_SORT = "orders"
_TERMS = cursors.sort_terms(Order, ["-placed_at", "-id"])
MONEY = 'A decimal as text, e.g. `"12.50"`, in the order\'s `currency`.'


class OrderSummaryOut(Schema):
    number: str
    kind: str = Field(description="`order`, or `cancellation` for an imported cancellation invoice.")
    status: str
    status_label: str
    placed_at: str = Field(description="ISO 8601 with time zone.")
    currency: str
    total: str = Field(description=MONEY)
    item_count: int


class OrderListOut(Schema):
    items: list[OrderSummaryOut]
    next_cursor: str | None = Field(
        description="Send as `cursor` for the next (older) page; null at the end."
    )


class OrderLineOut(Schema):
    sku: str
    product_name: str
    quantity: int
    unit_price: str = Field(description=MONEY)
    total: str = Field(description=MONEY)
    quantity_shipped: int
    quantity_returned: int


class AddressOut(Schema):
    full_name: str
    company: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str


class ChargeOut(Schema):
    description: str
    amount: str = Field(description=MONEY)


class ShipmentLineOut(Schema):
    product_name: str
    quantity: int


class ShipmentOut(Schema):
    status: str
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: str | None
    lines: list[ShipmentLineOut]


class ReturnOut(Schema):
    number: str
    status: str
    reason: str
    refund_amount: str = Field(description=MONEY)
    created_at: str | None
    lines: list[ShipmentLineOut]


class OrderEventOut(Schema):
    kind: str
    text: str
    created_at: str


class OrderOut(OrderSummaryOut):
    email: str
    lines: list[OrderLineOut]
    subtotal: str = Field(description=MONEY)
    discount: str = Field(description=MONEY)
    shipping: str = Field(description=MONEY)
    shipping_method: str
    charges: list[ChargeOut]
    tax: str = Field(description="Tax included in the total. " + MONEY)
    refunded: str = Field(description=MONEY)
    shipping_address: AddressOut | None
    billing_address: AddressOut | None
    shipments: list[ShipmentOut]
    returns: list[ReturnOut]
    events: list[OrderEventOut] = Field(description="What happened to the order, oldest first.")


def _private(response: HttpResponse) -> None:
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = f"Cookie, {SESSION_TOKEN_HEADER}"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _address(address: AddressView | None) -> dict[str, str] | None:
    return None if address is None else {name: getattr(address, name) for name in AddressOut.model_fields}


def _named(lines: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"product_name": name, "quantity": quantity} for name, quantity in lines]


def _detail(view: OrderView) -> dict[str, Any]:
    return {
        "number": view.number,
        "kind": view.kind,
        "status": view.status,
        "status_label": view.status_label,
        "placed_at": view.placed_at.isoformat(),
        "currency": view.currency,
        "total": str(view.total),
        "item_count": view.item_count,
        "email": view.email,
        "lines": [
            {
                "sku": line.sku,
                "product_name": line.product_name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "total": str(line.total),
                "quantity_shipped": line.quantity_shipped,
                "quantity_returned": line.quantity_returned,
            }
            for line in view.lines
        ],
        "subtotal": str(view.subtotal),
        "discount": str(view.discount),
        "shipping": str(view.shipping),
        "shipping_method": view.shipping_method,
        "charges": [{"description": d, "amount": str(a)} for d, a in view.charges],
        "tax": str(view.tax),
        "refunded": str(view.refunded),
        "shipping_address": _address(view.shipping_address),
        "billing_address": _address(view.billing_address),
        "shipments": [
            {
                "status": s.status,
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "tracking_url": s.tracking_url,
                "shipped_at": _iso(s.shipped_at),
                "lines": _named(s.lines),
            }
            for s in view.shipments
        ],
        "returns": [
            {
                "number": r.number,
                "status": r.status,
                "reason": r.reason,
                "refund_amount": str(r.refund_amount),
                "created_at": _iso(r.created_at),
                "lines": _named(r.lines),
            }
            for r in view.returns
        ],
        "events": [
            {"kind": e.kind, "text": e.text, "created_at": e.created_at.isoformat()} for e in view.events
        ],
    }


@router.get(
    "/orders",
    auth=signed_in,
    response={200: OrderListOut, **ERRORS},
    summary="The signed-in customer's orders",
    operation_id="orders_list",
)
def orders_list(
    request: HttpRequest,
    response: HttpResponse,
    limit: Annotated[int, Query(ge=1, le=settings.API_MAX_PAGE_SIZE, description="Orders per page.")] = 20,
    cursor: Annotated[
        str | None,
        Query(
            max_length=1000,
            pattern=r"^[-A-Za-z0-9_:]+$",
            description="`next_cursor` of the previous page, to get the next one.",
        ),
    ] = None,
) -> dict[str, Any]:
    """Newest first, imported history included; a page at a time (keyset pagination).
    401 without a session token or session cookie."""
    orders = customer_selectors.customer_orders(user=request.auth)  # type: ignore[attr-defined]
    orders = orders.order_by(*(term.order_by() for term in _TERMS))
    if cursor:
        orders = orders.filter(cursors.keyset_after(_TERMS, cursors.decode(cursor, _SORT, _TERMS)))
    rows = list(orders[: limit + 1])
    _private(response)
    return {
        "items": [
            {
                "number": order.number,
                "kind": order.kind,
                "status": order.status,
                "status_label": customer_selectors.status_label(order.status),
                "placed_at": order.placed_at.isoformat(),
                "currency": order.currency,
                "total": str(order.total_amount),
                "item_count": order.item_count or 0,
            }
            for order in rows[:limit]
        ],
        "next_cursor": cursors.encode(_SORT, _TERMS, rows[limit - 1]) if len(rows) > limit else None,
    }


@router.get(
    "/orders/{number}",
    auth=signed_in,
    response={200: OrderOut, **ERRORS},
    summary="One of the signed-in customer's orders",
    operation_id="orders_get",
)
def orders_get(request: HttpRequest, response: HttpResponse, number: str) -> dict[str, Any]:
    """Lines, totals, addresses, shipments with tracking, returns and the order's history.
    404 for any number that is not one of this customer's orders."""
    order = customer_selectors.customer_order(user=request.auth, number=number)  # type: ignore[attr-defined]
    _private(response)
    return _detail(customer_selectors.order_view(order=order))
