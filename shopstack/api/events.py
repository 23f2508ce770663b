"""POST /events: mobile apps send their analytics events in batches. The rules (what an
event may hold, clock skew, which events are refused and counted) are
`shopstack.analytics.ingest`'s; this module reads the body and shapes the answer.

The body is read here rather than by the API's parser: that parser refuses a whole body
for one control character, and a batch must lose only the event that holds it.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from shopstack.analytics.app_events import AppEventIn
from shopstack.analytics.ingest import MAX_BATCH_EVENTS, MAX_EVENT_AGE, BatchIn, events_ingest
from shopstack.api.auth import SESSION_TOKEN_HEADER, client_user
from shopstack.api.boundary import JSON_TYPE, UnsupportedMediaType, is_json
from shopstack.api.schemas import ErrorOut
from shopstack.api.throttling import ClientEventsThrottle
from shopstack.core.errors import DomainError

router = Router(tags=["analytics"])

# 100 events with every text field at its longest stay under this; a body over it is
# refused before it is read.
MAX_BODY_BYTES = 1024 * 1024


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class RejectedEventOut(Schema):
    index: int = Field(description="The event's place in the batch's `events`, from 0.")
    event_id: str | None = Field(description="The event's `event_id`, if it sent a valid one.")
    fields: dict[str, list[str]] = Field(
        description='What is wrong, by field, named as in error answers: `{"events.3.product_id": '
        '["Required for cart_add."]}`.'
    )


class EventsAcceptedOut(Schema):
    """The batch was read: its good events are stored, the refused ones listed."""

    accepted: int = Field(description="Events stored (resent ones included).")
    rejected: list[RejectedEventOut] = Field(
        description="Events refused and not stored. Do not resend them: they would be refused again."
    )


EXAMPLE_BATCH = {
    "sent_at": "2026-03-14T09:31:02.120Z",
    "events": [
        {
            "event_id": "0b6f3c2e-5d4a-4f8e-9a51-2f1c7d9e8a10",
            "kind": "product_view",
            "occurred_at": "2026-03-14T09:30:41.005Z",
            "visitor_id": "a3c9e1f07b2d4c55",
            "session_id": "s-20260314-0930",
            "consent": True,
            "device": "phone",
            "path": "/products/blue-mug",
            "product_id": 42,
        },
        {
            "event_id": "7d1e9b40-2c3a-4b6d-8e5f-0a9b8c7d6e5f",
            "kind": "cart_add",
            "occurred_at": "2026-03-14T09:30:58.870Z",
            "visitor_id": "a3c9e1f07b2d4c55",
            "session_id": "s-20260314-0930",
            "consent": True,
            "device": "phone",
            "product_id": 42,
            "variant_id": 97,
            "quantity": 2,
            "value_minor": 590,
            "currency": "GBP",
        },
    ],
}


def _batch_schema() -> dict[str, Any]:
    # Each event is read on its own by the service, so the body is not a ninja parameter;
    # its schema is published from the same pydantic models that read it.
    schema = BatchIn.model_json_schema()
    schema["properties"]["events"]["items"] = AppEventIn.model_json_schema()
    return schema


DESCRIPTION = f"""\
Record what the app's user did: screens, product and list views, searches, cart changes,
checkout steps, time on a screen. A batch holds 1 to {MAX_BATCH_EVENTS} events and at most
{MAX_BODY_BYTES // 1024} KB.

**Times.** `occurred_at` and `sent_at` are by the device's clock; every event is moved by
the difference between the server's clock and `sent_at`, so set `sent_at` when the batch
is sent (again on a resend). An event after `sent_at`, or more than {MAX_EVENT_AGE.days}
days before it, is refused.

**Answers.** 202 when the batch was read: the good events are stored and `rejected` lists
the others with the field messages (the same names as in error answers, e.g.
`events.3.product_id`). When no event is good the answer is 422, and a batch of the wrong
shape (no `sent_at`, more than {MAX_BATCH_EVENTS} events, an unknown field) is 422 with
nothing stored. A 202, 400, 413, 415 or 422 is final: refused events would be refused
again. After a 429 (wait `Retry-After`), a 5xx or no answer, resend the whole batch with a
new `sent_at`: events are kept once per `event_id`, and a resent batch gets the first answer.

**Who.** `customer_id` is the signed-in user of the `X-Session-Token`, never a field of
the body; without a token (or with `consent: false`) events are anonymous.
"""


def _read_body(request: HttpRequest) -> object:
    if not is_json(request.content_type):
        raise UnsupportedMediaType(
            f"Send the body as {JSON_TYPE}; {request.content_type or 'no type'} is not accepted.",
            fields={"Content-Type": [f"Must be {JSON_TYPE}."]},
        )
    too_large = PayloadTooLarge(
        f"The request body is larger than the {MAX_BODY_BYTES} bytes a batch may be; send fewer events.",
        fields={"body": [f"At most {MAX_BODY_BYTES} bytes."]},
    )
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise DomainError(
            "The body is not JSON.", code="bad_request", fields={"body": ["Send one JSON object."]}
        ) from None


@router.post(
    "/events",
    response={
        202: EventsAcceptedOut,
        400: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    throttle=[ClientEventsThrottle()],
    summary="Send a batch of analytics events",
    operation_id="events_send",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {JSON_TYPE: {"schema": _batch_schema(), "example": EXAMPLE_BATCH}},
        }
    },
    description=DESCRIPTION,
)
def events_send(request: HttpRequest) -> Status[dict[str, Any]]:
    received_at = timezone.now()
    batch = _read_body(request)
    # Only an app's own token names the customer; a browser's cookie is not asked.
    user = client_user(request) if request.headers.get(SESSION_TOKEN_HEADER) else None
    result = events_ingest(batch, received_at=received_at, customer_id=None if user is None else user.pk)
    return Status(
        202,
        {
            "accepted": result.accepted,
            "rejected": [
                {"index": refused.index, "event_id": refused.event_id, "fields": refused.fields}
                for refused in result.rejected
            ],
        },
    )
