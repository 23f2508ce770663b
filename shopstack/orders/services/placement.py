"""Placing an order: the one step a web request takes; the workflow does the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.utils import timezone

from shopstack.core.errors import ValidationFailed
from shopstack.core.idempotency import idempotent_call
from shopstack.core.money import quantize
from shopstack.inventory.services import stock_allocate
from shopstack.orders.drafts import OrderDraft
from shopstack.orders.models import Order, OrderAddress, OrderCharge, OrderLine
from shopstack.orders.services.common import order_log, order_number_new
from shopstack.payments.services import payment_create
from shopstack.pricing.services import voucher_customer_key, voucher_redeem

MAX_LINES = 100


def _check_draft(draft: OrderDraft) -> None:
    """Refuse a draft no checkout should hand over (amounts come from the server; this
    guards against a caller's bug, not the customer)."""
    problems: dict[str, list[str]] = {}
    if not draft.lines:
        problems["lines"] = ["The order has no lines."]
    elif len(draft.lines) > MAX_LINES:
        problems["lines"] = [f"At most {MAX_LINES} lines."]
    for line in draft.lines:
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity <= 0:
            problems.setdefault("lines", []).append(f"{line.sku}: the quantity must be a positive integer.")
    if not draft.email or "@" not in draft.email:
        problems["email"] = ["Enter an email address."]
    if len(draft.currency or "") != 3:
        problems["currency"] = ["Give an ISO 4217 currency code."]
    amounts = {"total": draft.total, "subtotal": draft.subtotal, "shipping_price": draft.shipping_price}
    for name, value in amounts.items():
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            problems[name] = ["Must be a Decimal amount, zero or more."]
    if "total" not in problems and draft.total <= 0:
        problems["total"] = ["An order must cost something."]
    if not draft.payment_token:
        problems["payment_token"] = ["Pay with the gateway's form first."]
    if not draft.checkout_ref:
        problems["checkout_ref"] = ["The checkout's reservation reference is missing."]
    if problems:
        raise ValidationFailed("The order cannot be placed.", fields=problems)


def _create(draft: OrderDraft) -> tuple[Order, list[OrderLine]]:
    now = timezone.now()
    currency = draft.currency.upper()
    number = order_number_new()
    order = Order.objects.create(
        number=number,
        # The pending payment made in the same transaction (order_place) has this ref.
        payment_ref=f"order:{number}",
        kind=Order.Kind.ORDER,
        status=Order.Status.PLACED,
        customer_id=draft.customer_id,
        email=draft.email.strip(),
        country=draft.shipping_address.country,
        currency=currency,
        subtotal_amount=draft.subtotal,
        discount_amount=draft.discount,
        charges_amount=draft.shipping_price,
        tax_amount=draft.tax,
        total_amount=draft.total,
        placed_at=now,
        source=draft.source,
        voucher_code=(draft.voucher_code or "").upper(),
        shipping_method_id=draft.shipping_method_id,
        shipping_method_name=draft.shipping_method_name,
        weight_grams=draft.weight_grams,
        checkout_ref=draft.checkout_ref,
        payment_return_url=draft.payment_return_url,
        payment_status=Order.PaymentState.PENDING,
        fulfilment_status=Order.FulfilmentState.UNFULFILLED,
        next_step="authorize",
        progress_at=now,
    )
    OrderAddress.objects.bulk_create(
        [
            OrderAddress(order=order, kind=OrderAddress.Kind.SHIPPING, **asdict(draft.shipping_address)),
            OrderAddress(order=order, kind=OrderAddress.Kind.BILLING, **asdict(draft.billing_address)),
        ]
    )
    lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant_id=line.variant_id,
                sku=line.sku,
                product_name=line.product_name,
                quantity=line.quantity,
                unit_price_amount=line.unit_price,
                discount_amount=line.discount,
                net_amount=line.net,
                tax_amount=line.tax,
                total_amount=line.gross,
                tax_rate=line.tax_rate,
            )
            for line in draft.lines
        ]
    )
    if draft.shipping_method_id is not None or draft.shipping_price:
        OrderCharge.objects.create(
            order=order,
            code="shipping",
            description=draft.shipping_method_name or "Shipping",
            amount=draft.shipping_price,
            tax_amount=draft.shipping_tax,
        )
    return order, lines


def order_place(
    *, draft: OrderDraft, idempotency_key: str, then: Callable[[Order], None] | None = None
) -> Order:
    """Turn a checkout's draft into an order, once per idempotency key.

    In one transaction: the order with its lines, addresses and shipping charge (amounts
    exactly as in the draft), the stock allocation from the checkout's reservation, the
    voucher redemption, the pending Payment (ref "order:<number>"), the log entry "placed"
    and the domain event OrderPlaced. The payment is authorized afterwards by the workflow
    in a worker, never in the caller's request.

    A repeat with the same key returns the same order and does nothing else; the same key
    with a different draft raises Conflict (code idempotency_key_reused). OutOfStock
    (Conflict, code out_of_stock) and a voucher lost to a racing order (Conflict, code
    voucher_used_up / voucher_customer_limit) propagate, and then nothing is created.

    `then(order)`, if given, runs last in the same transaction (the caller's own record of
    the placement, e.g. the checkout marked placed); if it raises, nothing is created.
    It does not run for a repeat.
    """
    _check_draft(draft)
    placed: list[Order] = []

    def perform() -> dict[str, Any]:
        # bulk_create gives the lines their ids (RETURNING on PostgreSQL and SQLite).
        order, lines = _create(draft)
        stock_allocate(
            ref=draft.checkout_ref,
            order_ref=order.number,
            lines=[(str(line.pk), line.variant_id, line.quantity) for line in lines],
        )
        if draft.voucher_code:
            voucher_redeem(
                code=draft.voucher_code,
                order_ref=order.number,
                customer_key=voucher_customer_key(user_id=draft.customer_id, email=draft.email),
                subtotal=draft.subtotal,
            )
        payment_create(
            ref=order.payment_ref,
            amount=quantize(draft.total, order.currency),
            currency=order.currency,
            token=draft.payment_token,
        )
        summary = {
            "total": str(order.total_amount),
            "currency": order.currency,
            "lines": [
                {
                    "line_id": line.pk,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "gross": str(line.total_amount),
                }
                for line in lines
            ],
        }
        order_log(
            order,
            "placed",
            f"Order placed ({order.source}).",
            data=summary,
            event="OrderPlaced",
            payload={"customer_id": order.customer_id, **summary},
        )
        if then is not None:
            then(order)
        placed.append(order)
        return {"order_id": order.pk, "number": order.number}

    result, first_time = idempotent_call(
        scope="order_place", key=idempotency_key, request=draft.fingerprint_data(), perform=perform
    )
    if first_time:  # committed just now with this very object: no need to read it back
        return placed[0]
    return Order.objects.get(pk=result["order_id"])
