"""The analytics event schema: every event the shop records about its visitors, in one place.

An event is one flat record (a row of the warehouse's `events` table, docs/analytics.md):
who (visitor, session, customer), when (UTC), where from (channel, device, country,
referrer and campaign on a session's first page) and what (the kind and the ids of what it
was about). Flat, not nested, so the same columns are read by DuckDB and Spark, by a BI
tool, and validated once here for the web collector and the apps' events API alike.

The schema is versioned: `SCHEMA_VERSION` is written into every event. Adding an optional
field or a kind keeps the version; renaming, removing or changing the meaning of one moves
it, and the warehouse keeps reading older events by their version.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1


class Kind(StrEnum):
    PAGE_VIEW = "page_view"
    PRODUCT_VIEW = "product_view"
    LIST_VIEW = "list_view"  # a category or other product listing
    SEARCH = "search"
    SEARCH_CLICK = "search_click"
    CART_ADD = "cart_add"
    CART_REMOVE = "cart_remove"
    CHECKOUT_STEP = "checkout_step"
    ORDER_PLACED = "order_placed"
    ORDER_PAID = "order_paid"
    ORDER_SHIPPED = "order_shipped"
    ORDER_DELIVERED = "order_delivered"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_refunded"
    ORDER_RETURNED = "order_returned"
    SIGNUP = "signup"
    LOGIN = "login"
    PAGE_ENGAGEMENT = "page_engagement"  # from the beacon: time the page was visible
    CAMPAIGN_EMAIL_OPENED = "campaign_email_opened"
    CAMPAIGN_EMAIL_CLICKED = "campaign_email_clicked"


class Channel(StrEnum):
    WEB = "web"
    APP = "app"


class Device(StrEnum):
    PHONE = "phone"
    TABLET = "tablet"
    DESKTOP = "desktop"
    BOT = "bot"
    OTHER = "other"


# The checkout steps a checkout_step event names, in the order a shopper meets them: the
# shop's own steps (checkout/pages.py; the API's calls map onto them). "begin" is the page
# that starts a checkout from the cart (POST /api/v1/checkout for apps); "address" asks
# for the contact email and the addresses together (the API's contact and address calls).
# The web's review step has no API call of its own; placing is order_placed.
CHECKOUT_STEPS: tuple[str, ...] = ("begin", "address", "shipping", "payment", "review")

# Which ids an event of each kind must carry (the events API refuses one without them).
REQUIRED_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.PRODUCT_VIEW: ("product_id",),
    Kind.LIST_VIEW: ("list_name",),
    Kind.SEARCH: ("search_query",),
    Kind.SEARCH_CLICK: ("search_query", "product_id"),
    Kind.CART_ADD: ("product_id", "quantity"),
    Kind.CART_REMOVE: ("product_id", "quantity"),
    Kind.CHECKOUT_STEP: ("checkout_step",),
    Kind.ORDER_PLACED: ("order_id",),
    Kind.ORDER_PAID: ("order_id",),
    Kind.ORDER_SHIPPED: ("order_id",),
    Kind.ORDER_DELIVERED: ("order_id",),
    Kind.ORDER_CANCELLED: ("order_id",),
    Kind.ORDER_REFUNDED: ("order_id",),
    Kind.ORDER_RETURNED: ("order_id",),
    Kind.PAGE_ENGAGEMENT: ("engaged_ms",),
    Kind.CAMPAIGN_EMAIL_OPENED: ("campaign",),
    Kind.CAMPAIGN_EMAIL_CLICKED: ("campaign",),
}


def new_event_id() -> str:
    return uuid.uuid4().hex


@dataclass(slots=True)
class AnalyticsEvent:
    """One event. Ids of the shop's own rows are integers; text fields are "" when unknown,
    numbers None. Money is in minor units of `currency` (an integer: no float, no rounding
    left to the reader)."""

    kind: str
    occurred_at: datetime
    event_id: str = field(default_factory=new_event_id)
    schema_version: int = SCHEMA_VERSION
    received_at: datetime | None = None
    # Who
    visitor_id: str = ""
    session_id: str = ""
    customer_id: int | None = None
    consent: bool = False  # False: counted anonymously, the visitor id lasts one day
    # Where from
    channel: str = Channel.WEB
    device: str = Device.OTHER
    is_bot: bool = False
    country: str = ""
    path: str = ""
    referrer: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_term: str = ""
    utm_content: str = ""
    # What
    product_id: int | None = None
    variant_id: int | None = None
    category_id: int | None = None
    list_name: str = ""
    order_id: int | None = None
    search_query: str = ""
    result_count: int | None = None
    position: int | None = None
    quantity: int | None = None
    value_minor: int | None = None
    currency: str = ""
    checkout_step: str = ""
    engaged_ms: int | None = None
    campaign: str = ""

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELD_NAMES}


FIELD_NAMES: tuple[str, ...] = tuple(item.name for item in fields(AnalyticsEvent))


def utc(stamp: datetime) -> datetime:
    """`stamp` as an aware UTC datetime; a naive one is taken to be UTC already."""
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
