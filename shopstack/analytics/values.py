"""Small conversions shared by the collectors."""

from __future__ import annotations

import uuid
from decimal import Decimal

from shopstack.core.money import minor_units

# Event ids derived from the shop's own ids live in this namespace (uuid5): the same fact
# recorded twice (a resent form, an outbox handler run again) gets the same event id,
# and compaction keeps it once.
EVENT_ID_NAMESPACE = uuid.UUID("5b2f0c8e-5a43-4a39-9d0b-6f1a2f4d7c11")


def derived_event_id(*parts: object) -> str:
    """An event id that is the same whenever it is derived from the same facts."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, ":".join(str(part) for part in parts)).hex


def order_placed_event_id(order_id: int) -> str:
    """The id of an order's `order_placed`, whichever of its two recorders writes it (the
    checkout's request, with the visit, and the outbox's OrderPlaced handler, without)."""
    return derived_event_id("order_placed", order_id)


def to_minor(amount: Decimal, currency: str) -> int:
    """An amount in the currency's minor units (2.95 GBP -> 295, 300 JPY -> 300)."""
    return int(amount.scaleb(minor_units(currency)).to_integral_value())
