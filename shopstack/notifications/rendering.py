"""Which message each domain event calls for, and its rendering from templates.

Each message is three templates under notifications/email/: `<name>.subject.txt`,
`<name>.txt` and `<name>.html`, rendered with the order as the customer sees it (read
through the orders context's customer selectors) and the event's payload. Links are
absolute, built on settings.SHOP_BASE_URL, since mail clients have no page to be relative to.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from shopstack.notifications.backends.base import OutgoingMessage
from shopstack.notifications.models import NotificationLog
from shopstack.orders import customer_selectors


@dataclass(frozen=True)
class MessageKind:
    template: str
    channels: tuple[str, ...] = ("email",)


# Domain event name -> the message it sends to the order's email address.
EVENT_MESSAGES: dict[str, MessageKind] = {
    "OrderConfirmed": MessageKind("order_confirmed"),
    "OrderPaymentFailed": MessageKind("order_payment_failed"),
    "OrderActionRequired": MessageKind("order_action_required"),
    "OrderShipped": MessageKind("order_shipped"),
    "OrderCancelled": MessageKind("order_cancelled"),
    "OrderRefunded": MessageKind("order_refunded"),
    "ReturnRequested": MessageKind("return_requested"),
    "ReturnApproved": MessageKind("return_approved"),
    "ReturnReceived": MessageKind("return_received"),
    "ReturnRefunded": MessageKind("return_refunded"),
    "ReturnReplaced": MessageKind("return_replaced"),
}


class OrderGone(Exception):
    """The order an event speaks of no longer exists: nothing can be rendered."""


def absolute_url(path: str) -> str:
    return settings.SHOP_BASE_URL.rstrip("/") + path


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def message_context(*, log: NotificationLog) -> dict[str, Any]:
    """What the templates get: the order, the event's facts and the links."""
    data = log.data or {}
    order = customer_selectors.order_by_id(order_id=int(data.get("order_id") or 0))
    if order is None:
        raise OrderGone(f"Order {data.get('order_id')!r} ({log.order_number}) does not exist.")
    view = customer_selectors.order_view(order=order)
    if view.customer_id is not None:
        order_url = absolute_url(reverse("orders:detail", args=[view.number]))
    else:
        # Guests prove number + email on the lookup page, then see the order.
        order_url = absolute_url(reverse("orders:lookup")) + f"?number={view.number}"
    payment_url = str(data.get("action_url") or data.get("payment_url") or data.get("redirect_url") or "")
    return {
        "shop_name": settings.SHOP_NAME,
        "shop_url": absolute_url("/"),
        "order": view,
        "order_url": order_url,
        "payment_url": payment_url or order_url,
        "tracking_number": str(data.get("tracking_number") or ""),
        "tracking_url": str(data.get("tracking_url") or ""),
        "amount": _money(data.get("amount")),
        "reason": str(
            data.get("reason") or data.get("cancel_reason") or data.get("failure_code") or ""
        ).replace("_", " "),
        "return_number": str(data.get("return_number") or data.get("rma") or ""),
        "event": log.event_name,
        "data": data,
    }


def message_render(*, log: NotificationLog) -> OutgoingMessage:
    """The email for a log row: subject, plain text and HTML, from its templates."""
    context = message_context(log=log)
    base = f"notifications/email/{log.template}"
    subject = " ".join(render_to_string(f"{base}.subject.txt", context).split())
    return OutgoingMessage(
        recipient=log.recipient,
        subject=f"[{settings.SHOP_NAME}] {subject}",
        bodies={
            "text": render_to_string(f"{base}.txt", context),
            "html": render_to_string(f"{base}.html", context),
        },
        reference=f"notification-{log.pk}",
        metadata={"event": log.event_name, "order_number": log.order_number},
    )
