"""Events from mobile apps: a batch read, checked event by event, corrected for the
device's clock and stored (docs/analytics.md, "Events from apps").

- A batch is `{"sent_at": <device time>, "events": [1 to 100 events]}`. A batch that is
  not that shape is refused whole, and nothing of it is stored.
- Each event is checked on its own (app_events.py): the good ones are stored even when
  their neighbours are refused, and the refused ones are answered with their index, id
  and field messages, counted by reason (rejections.py) and never stored.
- Device clocks are wrong by minutes or years: every event's time is moved by
  (server receipt time - sent_at). An event that then lies after its receipt, or more
  than MAX_EVENT_AGE before it, is refused.
- Idempotent by event id: a resent batch gets the same answer, and its events are stored
  again; compaction keeps one event per id (store/base.py), so no state is kept here. A
  resend's correction differs from the first attempt's (a new sent_at, another network
  delay), so its copy may fall on the other side of midnight: compaction also checks the
  neighbouring days' files (warehouse/compaction.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from shopstack.analytics.app_events import (
    ID_PATTERN,
    AppEventIn,
    EventErrors,
    Reason,
    Timestamp,
    app_event_read,
)
from shopstack.analytics.rejections import rejections_record
from shopstack.analytics.schema import AnalyticsEvent, Channel, Device, utc
from shopstack.analytics.services import events_append
from shopstack.core.errors import ValidationFailed
from shopstack.core.text import CODE, SUMMARY, refusal_message, refused_strings

MAX_BATCH_EVENTS = 100
_CLIENT_ID = re.compile(ID_PATTERN)
# An app offline for a week still delivers its events; older ones would rewrite days
# that reports have long shown.
MAX_EVENT_AGE = timedelta(days=7)


class BatchIn(BaseModel):
    """The envelope; its events are read one by one (app_events.AppEventIn)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="EventBatchIn")

    sent_at: Timestamp = Field(
        description="When the app sent this batch, by the device's clock: set it afresh on every "
        "attempt, resends included. The difference to the server's clock corrects every event's time."
    )
    events: list[Any] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


@dataclass(frozen=True)
class RejectedEvent:
    index: int
    event_id: str | None
    fields: dict[str, list[str]]


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    rejected: list[RejectedEvent]


class EventsRefused(ValidationFailed):
    """No event of the batch was stored: the batch's shape, or every one of its events."""


def _batch_read(batch: object) -> BatchIn:
    if not isinstance(batch, dict):
        raise EventsRefused(
            "Send a JSON object with sent_at and events.",
            fields={"body": ["Must be an object with sent_at and events."]},
        )
    # The events' own text is checked event by event (app_events.py), so that one bad
    # character costs one event; the envelope's is refused as everywhere else in the API.
    envelope = {name: value for name, value in batch.items() if name != "events"}
    refused = {name: [refusal_message(character)] for name, character in refused_strings(envelope)}
    if refused:
        raise EventsRefused(SUMMARY, code=CODE, fields=refused)
    try:
        return BatchIn.model_validate(batch)
    except PydanticValidationError as invalid:
        fields: dict[str, list[str]] = {}
        for error in invalid.errors(include_url=False):
            name = str(error["loc"][0]) if error["loc"] else "body"
            fields.setdefault(name, []).append(_batch_message(error))
        raise EventsRefused(
            "The batch is not one this API can read; no event was stored.", fields=fields
        ) from None


def _batch_message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "Required."
    if kind == "extra_forbidden":
        return "Not a field of a batch; send sent_at and events."
    if kind in ("too_short", "too_long"):
        return f"Send 1 to {MAX_BATCH_EVENTS} events in a batch."
    message = str(error["msg"]).removeprefix("Value error, ")
    return message if message.endswith(".") else message + "."


def _visitor(event: AppEventIn, consent: bool, day: str) -> str:
    if consent:
        return event.visitor_id
    # Without consent the app's id would follow one person for as long as the app is
    # installed: a keyed hash of it and the day keeps the visitor for that day only.
    return salted_hmac(
        "shopstack.analytics.app-visitor", f"{day}:{event.visitor_id}", algorithm="sha256"
    ).hexdigest()[:32]


def _analytics_event(
    event: AppEventIn, *, occurred_at: datetime, received_at: datetime, customer_id: int | None
) -> AnalyticsEvent:
    consent = event.consent if event.consent is not None else not settings.ANALYTICS_CONSENT_BANNER
    return AnalyticsEvent(
        kind=event.kind,
        occurred_at=occurred_at,
        event_id=event.event_id,
        received_at=received_at,
        visitor_id=_visitor(event, consent, occurred_at.date().isoformat()),
        session_id=event.session_id,
        customer_id=customer_id if consent else None,
        consent=consent,
        channel=Channel.APP,
        device=event.device or Device.OTHER,
        is_bot=False,
        path=event.path or "",
        referrer=event.referrer or "",
        utm_source=event.utm_source or "",
        utm_medium=event.utm_medium or "",
        utm_campaign=event.utm_campaign or "",
        utm_term=event.utm_term or "",
        utm_content=event.utm_content or "",
        product_id=event.product_id,
        variant_id=event.variant_id,
        category_id=event.category_id,
        list_name=event.list_name or "",
        search_query=event.search_query or "",
        result_count=event.result_count,
        position=event.position,
        quantity=event.quantity,
        value_minor=event.value_minor,
        currency=event.currency or "",
        checkout_step=event.checkout_step or "",
        engaged_ms=event.engaged_ms,
    )


def _time_errors(event: AppEventIn, sent_at: datetime, errors: EventErrors) -> None:
    # Compared on the device's clock, where the correction cancels out (and cannot
    # overflow the calendar for a device that thinks it is the year 9999).
    occurred_at = utc(event.occurred_at)
    if occurred_at > sent_at:
        errors.add(
            "occurred_at",
            "Later than the batch's sent_at: an event cannot happen after its batch was sent.",
            Reason.IN_FUTURE,
        )
    elif occurred_at < sent_at - MAX_EVENT_AGE:
        errors.add(
            "occurred_at",
            f"More than {MAX_EVENT_AGE.days} days before the batch's sent_at: too old to be accepted.",
            Reason.TOO_OLD,
        )


def _event_id_of(data: object) -> str | None:
    found = data.get("event_id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and _CLIENT_ID.fullmatch(found) else None


def events_ingest(batch: object, *, received_at: datetime, customer_id: int | None) -> IngestResult:
    """Store the good events of an app's `batch` (parsed JSON) and say which were refused.

    `received_at` is the server's time of receipt; `customer_id` the signed-in customer
    behind the request (never the body's). Raises EventsRefused (a 422), storing nothing,
    for a batch of the wrong shape or one whose every event is refused."""
    received_at = utc(received_at)
    try:
        envelope = _batch_read(batch)
    except EventsRefused:
        rejections_record({Reason.BATCH: 1}, day=received_at.date())
        raise
    sent_at = utc(envelope.sent_at)
    skew = received_at - sent_at
    good: list[AnalyticsEvent] = []
    rejected: list[RejectedEvent] = []
    reasons: Counter[Reason] = Counter()
    for index, data in enumerate(envelope.events):
        event, errors = app_event_read(data, index=index)
        if event is not None:
            _time_errors(event, sent_at, errors)
        if event is None or errors.fields:
            rejected.append(RejectedEvent(index=index, event_id=_event_id_of(data), fields=errors.fields))
            reasons[errors.reason()] += 1
            continue
        occurred_at = utc(event.occurred_at) + skew
        good.append(
            _analytics_event(event, occurred_at=occurred_at, received_at=received_at, customer_id=customer_id)
        )
    if good:
        events_append(good)
    rejections_record(reasons, day=received_at.date())
    if not good:
        fields = {name: messages for refused in rejected for name, messages in refused.fields.items()}
        raise EventsRefused("No event of the batch was accepted; none was stored.", fields=fields)
    return IngestResult(accepted=len(good), rejected=rejected)
