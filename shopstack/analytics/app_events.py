"""What a mobile app may say about one event, and how each part of it can be wrong.

An app sends the behaviour the shop cannot see from its own tables (screens, products
and lists viewed, searches, cart changes, checkout steps, time on a screen). Facts the
shop records itself (orders and what happens to them, sign-ups, sign-ins, campaign
emails) are refused from apps, so an app cannot add revenue, orders or accounts to the
numbers. Fields the server decides (when the event arrived, who is signed in, the
channel, bots, the country, the schema version) are refused from apps too.

Validation never stops at the first problem: every field's errors are reported, named
`events.<index>.<field>`, and each refused event is put under one reason for the counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)
from pydantic import ValidationError as PydanticValidationError

from shopstack.analytics.schema import CHECKOUT_STEPS, REQUIRED_FIELDS, Kind
from shopstack.core.text import refusal_message, refused_strings

ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
ID_RULE = "8 to 64 letters, digits, '-' or '_' (a UUID will do)."
MAX_ROW_ID = 2**63 - 1  # the warehouse's int64 id columns

# Facts the shop records from its own tables and outbox, never from an app.
SERVER_ONLY_KINDS: frozenset[Kind] = frozenset(
    {
        Kind.ORDER_PLACED,
        Kind.ORDER_PAID,
        Kind.ORDER_SHIPPED,
        Kind.ORDER_DELIVERED,
        Kind.ORDER_CANCELLED,
        Kind.ORDER_REFUNDED,
        Kind.ORDER_RETURNED,
        Kind.SIGNUP,
        Kind.LOGIN,
        Kind.CAMPAIGN_EMAIL_OPENED,
        Kind.CAMPAIGN_EMAIL_CLICKED,
    }
)
APP_KINDS: tuple[Kind, ...] = tuple(kind for kind in Kind if kind not in SERVER_ONLY_KINDS)

# Fields of AnalyticsEvent that the server sets: an app that sends one is told so.
SERVER_FIELDS: frozenset[str] = frozenset(
    {"schema_version", "received_at", "customer_id", "channel", "is_bot", "country", "order_id", "campaign"}
)


class Reason(StrEnum):
    """Why an event was refused (one per event, for the counts; the first that applies)."""

    BATCH = "batch"  # the whole batch was refused: not an object, no events, too many...
    NOT_AN_OBJECT = "not_an_object"
    SERVER_ONLY_KIND = "server_only_kind"
    SERVER_FIELD = "server_field"
    UNKNOWN_FIELD = "unknown_field"
    INVALID_CHARACTERS = "invalid_characters"
    MISSING_FIELD = "missing_field"
    INVALID_VALUE = "invalid_value"
    TOO_OLD = "too_old"
    IN_FUTURE = "in_future"


def _text_only(value: Any) -> Any:
    # Times are RFC 3339 text: pydantic would also read a number as epoch seconds or
    # milliseconds, guessing which by its size.
    if not isinstance(value, str):
        raise ValueError("Send a time as RFC 3339 text with an offset, e.g. 2026-03-14T09:30:00.250Z")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_only)]
ClientId = Annotated[StrictStr, Field(pattern=ID_PATTERN, description=ID_RULE)]
RowId = Annotated[StrictInt, Field(ge=1, le=MAX_ROW_ID)]


def _text(max_length: int, description: str) -> Any:
    return Field(None, max_length=max_length, description=description)


class AppEventIn(BaseModel):
    """One event as an app sends it. Optional fields may be left out or sent as null."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="AppEventIn")

    event_id: ClientId = Field(
        description="The app's own id for the event, the same on every resend: " + ID_RULE
    )
    kind: StrictStr = Field(
        max_length=40,
        description="What happened. The shop's own facts (orders, sign-ups, sign-ins, campaign emails) "
        "are refused from apps.",
        json_schema_extra={"enum": [str(kind) for kind in APP_KINDS]},
    )
    occurred_at: Timestamp = Field(description="When it happened, by the device's clock.")
    visitor_id: ClientId = Field(description="The app install's visitor id: " + ID_RULE)
    session_id: ClientId = Field(description="The app's session id: " + ID_RULE)
    consent: StrictBool | None = Field(
        None,
        description="The user's analytics choice. False: counted anonymously (no customer, a visitor "
        "id that lasts one day). Left out: as the shop's consent setting says.",
    )
    device: Literal["phone", "tablet", "other"] | None = Field(None, description='Default "other".')
    path: StrictStr | None = _text(2000, "The screen, as a path or deep link.")
    referrer: StrictStr | None = _text(2000, "Where the user came from (a deep link's source).")
    utm_source: StrictStr | None = _text(200, "From the deep link that opened the app.")
    utm_medium: StrictStr | None = _text(200, "From the deep link that opened the app.")
    utm_campaign: StrictStr | None = _text(200, "From the deep link that opened the app.")
    utm_term: StrictStr | None = _text(200, "From the deep link that opened the app.")
    utm_content: StrictStr | None = _text(200, "From the deep link that opened the app.")
    product_id: RowId | None = None
    variant_id: RowId | None = None
    category_id: RowId | None = None
    list_name: StrictStr | None = _text(200, "The listing shown (list_view).")
    search_query: StrictStr | None = _text(200, "What was searched (search, search_click).")
    result_count: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None
    position: Annotated[StrictInt, Field(ge=0, le=100_000)] | None = None
    quantity: Annotated[StrictInt, Field(ge=1, le=9_999)] | None = None
    value_minor: Annotated[StrictInt, Field(ge=0, le=10**12)] | None = Field(
        None, description="An amount in minor units of `currency` (pence); send both or neither."
    )
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")] | None = Field(
        None, description="ISO 4217 code, e.g. GBP."
    )
    checkout_step: StrictStr | None = Field(None, max_length=40, description=", ".join(CHECKOUT_STEPS) + ".")
    engaged_ms: Annotated[StrictInt, Field(ge=0, le=86_400_000)] | None = Field(
        None, description="How long the screen was visible (page_engagement)."
    )


@dataclass
class EventErrors:
    """The problems of one event: messages by field name, and the reasons found."""

    prefix: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    reasons: set[Reason] = field(default_factory=set)

    def add(self, name: str | None, message: str, reason: Reason) -> None:
        key = f"{self.prefix}.{name}" if name else self.prefix
        messages = self.fields.setdefault(key, [])
        if message not in messages:
            messages.append(message)
        self.reasons.add(reason)

    def reason(self) -> Reason:
        """The reason the event is counted under: the first of Reason's order found."""
        return next(reason for reason in Reason if reason in self.reasons)


def _pydantic_message(error: Mapping[str, Any]) -> tuple[str, Reason]:
    kind = error["type"]
    if kind == "missing":
        return "Required.", Reason.MISSING_FIELD
    if kind == "extra_forbidden":
        return "Not a field an app may send.", Reason.UNKNOWN_FIELD
    if kind == "string_pattern_mismatch":
        name = str(error["loc"][0]) if error["loc"] else ""
        return ("Three capital letters, e.g. GBP." if name == "currency" else ID_RULE), Reason.INVALID_VALUE
    message = str(error["msg"]).removeprefix("Value error, ")
    return (message if message.endswith(".") else message + "."), Reason.INVALID_VALUE


def _given(data: Mapping[str, Any], name: str) -> bool:
    return data.get(name) not in (None, "")


def _kind_errors(data: Mapping[str, Any], errors: EventErrors) -> None:
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        return
    if kind not in Kind:
        errors.add(
            "kind", "Not a kind of event; apps may send " + ", ".join(APP_KINDS) + ".", Reason.INVALID_VALUE
        )
        return
    if Kind(kind) in SERVER_ONLY_KINDS:
        errors.add(
            "kind", f"Only the shop records {kind} events; apps may not send them.", Reason.SERVER_ONLY_KIND
        )
        return
    for name in REQUIRED_FIELDS.get(Kind(kind), ()):
        if not _given(data, name):
            errors.add(name, f"Required for {kind}.", Reason.MISSING_FIELD)


def _pairing_errors(data: Mapping[str, Any], errors: EventErrors) -> None:
    if _given(data, "value_minor") and not _given(data, "currency"):
        errors.add("currency", "Required with value_minor.", Reason.MISSING_FIELD)
    if _given(data, "currency") and not _given(data, "value_minor"):
        errors.add("value_minor", "Required with currency.", Reason.MISSING_FIELD)
    step = data.get("checkout_step")
    if isinstance(step, str) and step and step not in CHECKOUT_STEPS:
        errors.add("checkout_step", "One of " + ", ".join(CHECKOUT_STEPS) + ".", Reason.INVALID_VALUE)


def app_event_read(data: object, *, index: int) -> tuple[AppEventIn | None, EventErrors]:
    """The event at `index` of a batch, read and checked; None and its errors if it has any."""
    errors = EventErrors(prefix=f"events.{index}")
    if not isinstance(data, dict):
        errors.add(None, "Must be an object with the event's fields.", Reason.NOT_AN_OBJECT)
        return None, errors
    for name, character in refused_strings(data, errors.prefix):
        errors.add(
            name.removeprefix(errors.prefix + "."), refusal_message(character), Reason.INVALID_CHARACTERS
        )
    for name in sorted(SERVER_FIELDS & data.keys()):
        errors.add(name, "Set by the shop, not by apps: leave it out.", Reason.SERVER_FIELD)
    visible = {name: value for name, value in data.items() if name not in SERVER_FIELDS}
    event: AppEventIn | None = None
    try:
        event = AppEventIn.model_validate(visible)
    except PydanticValidationError as invalid:
        for error in invalid.errors(include_url=False):
            message, reason = _pydantic_message(error)
            errors.add(".".join(str(part) for part in error["loc"][:1]) or None, message, reason)
    _kind_errors(data, errors)
    _pairing_errors(data, errors)
    if errors.fields:
        return None, errors
    return event, errors
