"""Refunds (full, an amount, or per line) and returns (RMA)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shopstack.core.errors import Conflict, DomainError, ValidationFailed
from shopstack.core.faults import fault_point
from shopstack.core.money import quantize
from shopstack.inventory.services import stock_allocate, stock_return
from shopstack.orders.models import Order, OrderLine, OrderRefund, ReturnLine, ReturnRequest
from shopstack.orders.services.common import (
    order_locked,
    order_log,
    order_number_new,
    order_pending_step,
    order_request_step,
    order_touch,
)
from shopstack.orders.services.fulfilment import _clean_lines
from shopstack.payments.models import Payment, PaymentStatus
from shopstack.payments.services import payment_refund

REFUNDABLE = {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED}


def _payment(order: Order) -> Payment | None:
    return Payment.objects.filter(ref=order.payment_ref).order_by("pk").first() if order.payment_ref else None


def _pending(order: Order) -> Decimal:
    return order.refunds.filter(status=OrderRefund.Status.PENDING).aggregate(t=Sum("amount"))["t"] or Decimal(
        0
    )


def _amount(value: object, currency: str, field: str) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise ValidationFailed("The amount is not valid.", fields={field: ["Give a Decimal amount."]})
    amount = Decimal(value)
    if not amount.is_finite() or amount <= 0 or quantize(amount, currency) != amount:
        raise ValidationFailed(
            "The amount is not valid.",
            fields={field: [f"A positive amount in whole {currency} minor units."]},
        )
    return amount


def _line_refunds(order: Order, lines: object) -> list[dict[str, Any]]:
    if not isinstance(lines, list | tuple) or not lines:
        raise ValidationFailed("Choose the lines to refund.", fields={"lines": ["Give at least one line."]})
    by_id = {line.pk: line for line in order.lines.all()}
    pending: dict[int, Decimal] = {}
    for refund in order.refunds.filter(status=OrderRefund.Status.PENDING):
        for item in refund.lines:
            pending[item["line_id"]] = pending.get(item["line_id"], Decimal(0)) + Decimal(item["amount"])
    problems, chosen = [], []
    for item in lines:
        if not isinstance(item, list | tuple) or len(item) != 2 or item[0] not in by_id:
            problems.append(f"{item!r}: not a (line id of this order, amount) pair.")
            continue
        line = by_id[item[0]]
        try:
            amount = _amount(item[1], order.currency, "lines")
        except ValidationFailed:
            problems.append(f"Line {line.pk}: the amount must be positive, in whole minor units.")
            continue
        left = line.total_amount - line.refunded_amount - pending.get(line.pk, Decimal(0))
        if amount > left:
            problems.append(f"Line {line.pk}: at most {left} {order.currency} is left to refund.")
            continue
        chosen.append({"line_id": line.pk, "sku": line.sku, "amount": str(amount)})
    if problems:
        raise ValidationFailed("Some lines cannot be refunded.", fields={"lines": problems})
    return chosen


def order_refund(
    *,
    order: Order,
    amount: Decimal | None = None,
    lines: Sequence[tuple[int, Decimal]] | None = None,
    key: str | None = None,
    reason: str = "",
    actor_id: int | None = None,
) -> OrderRefund:
    """Give money back: `amount`, or per line [(line_id, amount)], or (neither) all that is
    left. A worker sends it to the gateway (then OrderRefunded). Never more than captured
    minus refunded (pending refunds count): ValidationFailed (field "amount" or "lines").

    `key` makes it idempotent (the admin form sends one): a repeat with the same key
    returns the first refund; the same key with another amount raises Conflict.
    """
    if amount is not None and lines is not None:
        raise ValidationFailed("Give an amount or lines, not both.", fields={"amount": ["Leave empty."]})
    key = (key or uuid.uuid4().hex)[:64]
    with transaction.atomic():
        order = order_locked(order.pk)
        existing = order.refunds.filter(key=key).first()
        payment = _payment(order)
        if payment is None or payment.status not in REFUNDABLE:
            if existing is not None:
                return existing
            raise Conflict(
                "Only a captured payment can be refunded.",
                code="order_state",
                fields={"status": ["Capture the payment first (or cancel to void it)."]},
            )
        refund_lines: list[dict[str, Any]] = []
        if lines is not None:
            refund_lines = _line_refunds(order, lines)
            wanted = sum((Decimal(item["amount"]) for item in refund_lines), Decimal(0))
        elif amount is not None:
            wanted = _amount(amount, order.currency, "amount")
        else:
            wanted = quantize(
                payment.captured_amount - payment.refunded_amount - _pending(order), order.currency
            )
        if existing is not None:
            if existing.amount != wanted:
                raise Conflict(
                    "This refund key was used for a different refund.",
                    code="idempotency_key_reused",
                    fields={"key": ["Use a new key for a new refund."]},
                )
            return existing
        left = quantize(payment.captured_amount - payment.refunded_amount - _pending(order), order.currency)
        if wanted <= 0 or wanted > left:
            raise ValidationFailed(
                "The refund is larger than what is left to refund.",
                fields={
                    "lines" if lines is not None else "amount": [f"Refund at most {left} {order.currency}."]
                },
            )
        refund = OrderRefund.objects.create(
            order=order, key=key, amount=wanted, lines=refund_lines, reason=reason[:200], actor_id=actor_id
        )
        order_log(
            order,
            "refund_requested",
            f"Refund of {wanted} {order.currency} requested." + (f" {reason}" if reason else ""),
            data={"refund_id": refund.pk, "amount": str(wanted), "lines": refund_lines},
            actor_id=actor_id,
        )
        order_request_step(order, "refund")
    return refund


def step_refund(order: Order) -> bool:
    """Send each pending refund to the gateway (key per refund), then record it."""
    payment = _payment(order)
    for refund in order.refunds.filter(status=OrderRefund.Status.PENDING).order_by("pk"):
        try:
            payment = payment_refund(
                payment=payment, amount=refund.amount, idempotency_key=f"{order.number}-{refund.key}"
            )
        except DomainError as error:
            with transaction.atomic():
                locked = order_locked(order.pk)
                OrderRefund.objects.filter(pk=refund.pk).update(
                    status=OrderRefund.Status.FAILED, error=error.message[:255]
                )
                order_log(locked, "refund_failed", error.message, data={"refund_id": refund.pk})
            continue
        fault_point("after_refund")
        with transaction.atomic():
            locked = order_locked(order.pk)
            if not OrderRefund.objects.filter(pk=refund.pk, status=OrderRefund.Status.PENDING).update(
                status=OrderRefund.Status.SUCCEEDED
            ):
                continue
            _refunded(locked, refund, payment)
    with transaction.atomic():
        order = order_locked(order.pk)
        order_touch(order, next_step=order_pending_step(order))
    return bool(order.next_step)


def _refunded(order: Order, refund: OrderRefund, payment: Payment) -> None:
    for item in refund.lines:
        line = OrderLine.objects.get(pk=item["line_id"])
        line.refunded_amount += Decimal(item["amount"])
        line.save(update_fields=["refunded_amount"])
    order.refunded_amount += refund.amount
    changes: dict[str, Any] = {"refunded_amount": order.refunded_amount, "payment_status": payment.status}
    if order.refunded_amount >= order.total_amount and order.status != Order.Status.CANCELLED:
        changes["status"] = Order.Status.REFUNDED
    order_touch(order, **changes)
    order_log(
        order,
        "refunded",
        f"Refunded {refund.amount} {order.currency}.",
        data={"refund_id": refund.pk, "amount": str(refund.amount), "lines": refund.lines},
        event="OrderRefunded",
        payload={
            "amount": str(refund.amount),
            "currency": order.currency,
            "refunded_total": str(order.refunded_amount),
            "lines": refund.lines,
        },
    )
    if refund.key.startswith("rma-"):
        rma = ReturnRequest.objects.filter(order=order, pk=int(refund.key[4:])).first()
        if rma is not None and rma.status == ReturnRequest.Status.RECEIVED:
            rma.status = ReturnRequest.Status.REFUNDED
            rma.save(update_fields=["status", "updated_at"])
            _rma_log(order, rma, "return_refunded", "ReturnRefunded", amount=str(refund.amount))


# --- returns --------------------------------------------------------------------------------


def _rma_log(
    order: Order, rma: ReturnRequest, kind: str, event: str, actor_id: int | None = None, **extra: Any
) -> None:
    lines = [{"line_id": x.line_id, "quantity": x.quantity} for x in rma.lines.all()]
    order_log(
        order,
        kind,
        f"Return {rma.number}: {rma.get_status_display().lower()}.",
        data={"return_id": rma.pk, "return_number": rma.number, "lines": lines, **extra},
        actor_id=actor_id,
        event=event,
    )


def return_request(
    *,
    order: Order,
    lines: Sequence[tuple[int, int]],
    reason: str,
    restock: bool = True,
    actor_id: int | None = None,
) -> ReturnRequest:
    """Ask to send back shipped units [(line_id, quantity)] (ReturnRequested). At most what
    was shipped and is not already being returned."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the goods are returned.", fields={"reason": ["Required."]})
    with transaction.atomic():
        order = order_locked(order.pk)
        open_rmas = ReturnLine.objects.filter(rma__order=order).exclude(
            rma__status=ReturnRequest.Status.REJECTED
        )
        held = dict(open_rmas.values("line_id").annotate(t=Sum("quantity")).values_list("line_id", "t"))
        limit = {line.pk: line.quantity_shipped - held.get(line.pk, 0) for line in order.lines.all()}
        chosen = _clean_lines(order, list(lines), limit=limit, what="return")
        rma = ReturnRequest.objects.create(
            order=order, number=f"R{order_number_new()[3:]}", reason=reason[:500], restock=bool(restock)
        )
        ReturnLine.objects.bulk_create([ReturnLine(rma=rma, line=line, quantity=q) for line, q in chosen])
        order_touch(order)
        _rma_log(order, rma, "return_requested", "ReturnRequested", actor_id, reason=reason[:500])
    return rma


def _rma_locked(rma: ReturnRequest, allowed: set[str], action: str) -> tuple[Order, ReturnRequest]:
    order = order_locked(rma.order_id)
    rma = ReturnRequest.objects.select_for_update().get(pk=rma.pk)
    if rma.status not in allowed:
        raise Conflict(
            f"A {rma.status} return cannot be {action}.",
            code="return_state",
            fields={"status": [f"The return is {rma.status}."]},
        )
    return order, rma


def return_approve(*, rma: ReturnRequest, actor_id: int | None = None) -> ReturnRequest:
    with transaction.atomic():
        order, rma = _rma_locked(
            rma, {ReturnRequest.Status.REQUESTED, ReturnRequest.Status.APPROVED}, "approved"
        )
        if rma.status == ReturnRequest.Status.REQUESTED:
            rma.status = ReturnRequest.Status.APPROVED
            rma.save(update_fields=["status", "updated_at"])
            _rma_log(order, rma, "return_approved", "ReturnApproved", actor_id)
    return rma


def return_reject(*, rma: ReturnRequest, reason: str = "", actor_id: int | None = None) -> ReturnRequest:
    with transaction.atomic():
        order, rma = _rma_locked(
            rma, {ReturnRequest.Status.REQUESTED, ReturnRequest.Status.APPROVED}, "rejected"
        )
        rma.status = ReturnRequest.Status.REJECTED
        rma.save(update_fields=["status", "updated_at"])
        order_log(
            order, "return_rejected", f"Return {rma.number} rejected. {reason}".strip(), actor_id=actor_id
        )
    return rma


def return_receive(
    *, rma: ReturnRequest, restock: bool | None = None, actor_id: int | None = None
) -> ReturnRequest:
    """The parcel came back: units are recorded as returned (back on hand with `restock`)."""
    with transaction.atomic():
        order, rma = _rma_locked(rma, {ReturnRequest.Status.APPROVED}, "received")
        if restock is not None:
            rma.restock = bool(restock)
        for item in rma.lines.select_related("line"):
            stock_return(
                order_ref=order.number,
                line_ref=str(item.line_id),
                quantity=item.quantity,
                restock=rma.restock,
                return_ref=f"{rma.number}-{item.line_id}",
            )
            OrderLine.objects.filter(pk=item.line_id).update(
                quantity_returned=item.line.quantity_returned + item.quantity
            )
        rma.status = ReturnRequest.Status.RECEIVED
        rma.save(update_fields=["status", "restock", "updated_at"])
        _rma_log(order, rma, "return_received", "ReturnReceived", actor_id, restock=rma.restock)
    return rma


def return_refund(
    *, rma: ReturnRequest, amount: Decimal | None = None, actor_id: int | None = None
) -> OrderRefund:
    """Refund a received return: by default each line's paid price per unit x units
    returned; a worker sends it (ReturnRefunded when the gateway confirms)."""
    rma = ReturnRequest.objects.select_related("order").get(pk=rma.pk)
    if rma.status != ReturnRequest.Status.RECEIVED:
        raise Conflict("Receive the return first.", code="return_state", fields={"status": [rma.status]})
    lines = []
    for item in rma.lines.select_related("line"):
        line = item.line
        lines.append(
            (line.pk, quantize(line.total_amount * item.quantity / line.quantity, rma.order.currency))
        )
    if amount is not None:
        refund = order_refund(order=rma.order, amount=amount, key=f"rma-{rma.pk}", actor_id=actor_id)
    else:
        refund = order_refund(order=rma.order, lines=lines, key=f"rma-{rma.pk}", actor_id=actor_id)
    ReturnRequest.objects.filter(pk=rma.pk).update(refund_amount=refund.amount, updated_at=timezone.now())
    return refund


def return_replace(*, rma: ReturnRequest, actor_id: int | None = None) -> Order:
    """Send the same goods again, free: a new paid order (source "replacement") with the
    returned lines, its stock allocated now; staff ship it like any order (ReturnReplaced)."""
    with transaction.atomic():
        order, rma = _rma_locked(
            rma, {ReturnRequest.Status.RECEIVED, ReturnRequest.Status.REPLACED}, "replaced"
        )
        if rma.replacement_order_id:
            return rma.replacement_order
        now = timezone.now()
        replacement = Order.objects.create(
            number=order_number_new(),
            status=Order.Status.PAID,
            customer_id=order.customer_id,
            email=order.email,
            country=order.country,
            currency=order.currency,
            placed_at=now,
            source="replacement",
            shipping_method_id=order.shipping_method_id,
            shipping_method_name=order.shipping_method_name,
            payment_status=Order.PaymentState.NONE,
            fulfilment_status=Order.FulfilmentState.UNFULFILLED,
            progress_at=now,
        )
        for address in order.addresses.all():
            address.pk, address.order = None, replacement
            address.save()
        made = []
        for item in rma.lines.select_related("line"):
            line = item.line
            made.append(
                OrderLine.objects.create(
                    order=replacement,
                    variant_id=line.variant_id,
                    sku=line.sku,
                    product_name=line.product_name,
                    quantity=item.quantity,
                    unit_price_amount=Decimal(0),
                    total_amount=Decimal(0),
                )
            )
        stock_allocate(
            ref=f"rma:{rma.number}",
            order_ref=replacement.number,
            lines=[(str(line.pk), line.variant_id, line.quantity) for line in made if line.variant_id],
        )
        rma.status, rma.replacement_order = ReturnRequest.Status.REPLACED, replacement
        rma.save(update_fields=["status", "replacement_order", "updated_at"])
        order_log(
            replacement,
            "placed",
            f"Replacement for return {rma.number} of {order.number}.",
            actor_id=actor_id,
        )
        _rma_log(
            order, rma, "return_replaced", "ReturnReplaced", actor_id, replacement_number=replacement.number
        )
    return replacement
