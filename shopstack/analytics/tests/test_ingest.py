"""Events from apps, through the service: what is stored, corrected, refused and counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shopstack.analytics.app_events import ID_RULE, Reason
from shopstack.analytics.ingest import MAX_EVENT_AGE, EventsRefused, events_ingest
from shopstack.analytics.rejections import rejected_event_counts, rejections_record
from shopstack.analytics.store import event_store
from shopstack.core.errors import ValidationFailed

RECEIVED = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
# The device's clock is 2 h 5 min and 250 ms behind the server's.
SKEW = timedelta(hours=2, minutes=5, milliseconds=250)
SENT = RECEIVED - SKEW
TODAY = RECEIVED.date()
SERVER_SET = "Set by the shop, not by apps: leave it out."

pytestmark = pytest.mark.django_db


def device_time(seconds_before_sending: float) -> str:
    return (SENT - timedelta(seconds=seconds_before_sending)).isoformat().replace("+00:00", "Z")


def app_event(number: int = 1, kind: str = "page_view", **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"event-{number:04d}",
        "kind": kind,
        "occurred_at": device_time(60),
        "visitor_id": "visitor-aaaa",
        "session_id": "session-aaaa",
        "consent": True,
        **fields,
    }


def batch(*events: dict[str, Any], sent_at: datetime = SENT) -> dict[str, Any]:
    return {"sent_at": sent_at.isoformat(), "events": list(events)}


def ingest(body: object, customer_id: int | None = None):
    return events_ingest(body, received_at=RECEIVED, customer_id=customer_id)


def stored() -> list[dict[str, Any]]:
    store = event_store()
    return [row for day in store.days() for row in store.read_day(day).events.to_pylist()]


def counts() -> dict[str, int]:
    return dict(rejected_event_counts(since=TODAY, until=TODAY).get(TODAY, {}))


def test_a_good_batch_is_stored_with_times_corrected_for_the_device_clock():
    result = ingest(
        batch(
            app_event(1, "product_view", occurred_at=device_time(90), product_id=42, device="phone"),
            app_event(
                2, "cart_add", product_id=42, variant_id=97, quantity=2, value_minor=590, currency="GBP"
            ),
        ),
        customer_id=7,
    )

    assert (result.accepted, result.rejected) == (2, [])
    rows = {row["event_id"]: row for row in event_store().read_day("2026-03-14").events.to_pylist()}
    assert set(rows) == {"event-0001", "event-0002"}
    view, add = rows["event-0001"], rows["event-0002"]
    assert view["occurred_at"] == RECEIVED - timedelta(seconds=90)
    assert add["occurred_at"] == RECEIVED - timedelta(seconds=60)
    assert view["received_at"] == add["received_at"] == RECEIVED
    assert (view["kind"], view["product_id"], view["device"]) == ("product_view", 42, "phone")
    assert (add["quantity"], add["value_minor"], add["currency"], add["variant_id"]) == (2, 590, "GBP", 97)
    for row in (view, add):
        assert (row["channel"], row["is_bot"], row["customer_id"], row["consent"]) == ("app", False, 7, True)
        assert (row["visitor_id"], row["session_id"], row["schema_version"]) == (
            "visitor-aaaa",
            "session-aaaa",
            1,
        )
    assert counts() == {}


def test_a_device_clock_ahead_is_corrected_too_and_the_day_follows_the_server():
    # The device thinks it is the next day, 01:00; the server is at 12:00 on the 14th.
    sent = RECEIVED + timedelta(hours=13)
    result = ingest(batch(app_event(1, occurred_at="2026-03-15T00:59:00+00:00"), sent_at=sent))

    assert result.accepted == 1
    assert event_store().days() == ["2026-03-14"]
    (row,) = stored()
    assert row["occurred_at"] == RECEIVED - timedelta(minutes=1)


def test_a_mixed_batch_stores_the_good_events_and_names_the_bad_field_of_each_bad_one():
    result = ingest(
        batch(
            app_event(1),
            app_event(2, "cart_add", quantity=1),  # no product_id
            app_event(3, "search", search_query="teapot", result_count=4),
            app_event(4, "product_view", product_id="42"),  # text, not a number
        )
    )

    assert result.accepted == 2
    assert [(refused.index, refused.event_id, refused.fields) for refused in result.rejected] == [
        (1, "event-0002", {"events.1.product_id": ["Required for cart_add."]}),
        (3, "event-0004", {"events.3.product_id": ["Input should be a valid integer."]}),
    ]
    assert sorted(row["event_id"] for row in stored()) == ["event-0001", "event-0003"]
    assert counts() == {"missing_field": 1, "invalid_value": 1}


def test_a_batch_of_only_bad_events_is_refused_whole_and_stores_nothing():
    with pytest.raises(EventsRefused) as refused:
        ingest(batch(app_event(1, "list_view"), app_event(2, "order_paid", order_id=5)))

    assert refused.value.status == 422
    assert refused.value.fields == {
        "events.0.list_name": ["Required for list_view."],
        "events.1.order_id": [SERVER_SET],
        "events.1.kind": ["Only the shop records order_paid events; apps may not send them."],
    }
    assert event_store().count() == 0
    assert counts() == {"missing_field": 1, "server_only_kind": 1}


@pytest.mark.parametrize(
    "kind",
    [
        "order_placed",
        "order_paid",
        "order_shipped",
        "order_delivered",
        "order_cancelled",
        "order_refunded",
        "order_returned",
        "signup",
        "login",
        "campaign_email_opened",
        "campaign_email_clicked",
    ],
)
def test_facts_the_shop_records_itself_are_refused_from_apps(kind):
    result = ingest(batch(app_event(1), app_event(2, kind, value_minor=10**9, currency="GBP")))

    assert result.rejected[0].fields == {
        "events.1.kind": [f"Only the shop records {kind} events; apps may not send them."]
    }
    assert [row["kind"] for row in stored()] == ["page_view"]


@pytest.mark.parametrize(
    ("fields", "field", "message", "reason"),
    [
        ({"colour": "red"}, "colour", "Not a field an app may send.", "unknown_field"),
        ({"customer_id": 1}, "customer_id", SERVER_SET, "server_field"),
        ({"channel": "web"}, "channel", SERVER_SET, "server_field"),
        ({"received_at": "2026-03-14T12:00:00Z"}, "received_at", SERVER_SET, "server_field"),
        ({"is_bot": True}, "is_bot", SERVER_SET, "server_field"),
        ({"event_id": "short"}, "event_id", ID_RULE, "invalid_value"),
        ({"event_id": "a" * 65}, "event_id", ID_RULE, "invalid_value"),
        ({"visitor_id": None}, "visitor_id", "Input should be a valid string.", "invalid_value"),
        ({"kind": "page_vue"}, "kind", None, "invalid_value"),
        ({"kind": 3}, "kind", "Input should be a valid string.", "invalid_value"),
        ({"occurred_at": 1773489600}, "occurred_at", None, "invalid_value"),
        (
            {"occurred_at": "2026-03-14T09:00:00"},
            "occurred_at",
            "Input should have timezone info.",
            "invalid_value",
        ),
        ({"consent": "yes"}, "consent", "Input should be a valid boolean.", "invalid_value"),
        ({"device": "desktop"}, "device", None, "invalid_value"),
        ({"product_id": 0}, "product_id", "Input should be greater than or equal to 1.", "invalid_value"),
        ({"product_id": 2**63}, "product_id", None, "invalid_value"),
        ({"product_id": True}, "product_id", "Input should be a valid integer.", "invalid_value"),
        ({"position": -1}, "position", "Input should be greater than or equal to 0.", "invalid_value"),
        ({"result_count": 1.5}, "result_count", "Input should be a valid integer.", "invalid_value"),
        ({"path": "/" * 2001}, "path", "String should have at most 2000 characters.", "invalid_value"),
        (
            {"search_query": "q" * 201},
            "search_query",
            "String should have at most 200 characters.",
            "invalid_value",
        ),
        ({"search_query": "tea\tpot"}, "search_query", None, "invalid_characters"),
        (
            {"value_minor": 5, "currency": "gbp"},
            "currency",
            "Three capital letters, e.g. GBP.",
            "invalid_value",
        ),
        ({"value_minor": 5}, "currency", "Required with value_minor.", "missing_field"),
        ({"value_minor": -5, "currency": "GBP"}, "value_minor", None, "invalid_value"),
        ({"checkout_step": "payday"}, "checkout_step", None, "invalid_value"),
        ({"engaged_ms": 86_400_001}, "engaged_ms", None, "invalid_value"),
    ],
)
def test_each_bad_field_is_named_refused_and_counted(fields, field, message, reason):
    result = ingest(batch(app_event(1), app_event(2, **fields)))

    assert result.accepted == 1
    (refused,) = result.rejected
    assert refused.index == 1
    assert f"events.1.{field}" in refused.fields, refused.fields
    if message is not None:
        assert message in refused.fields[f"events.1.{field}"]
    assert [row["event_id"] for row in stored()] == ["event-0001"]
    assert counts() == {reason: 1}


def test_a_missing_required_field_is_named():
    event = app_event(2)
    del event["session_id"]
    result = ingest(batch(app_event(1), event))

    assert result.rejected[0].fields == {"events.1.session_id": ["Required."]}
    assert counts() == {"missing_field": 1}


@pytest.mark.parametrize(
    ("kind", "required"),
    [
        ("product_view", ["product_id"]),
        ("list_view", ["list_name"]),
        ("search", ["search_query"]),
        ("search_click", ["product_id", "search_query"]),
        ("cart_add", ["product_id", "quantity"]),
        ("cart_remove", ["product_id", "quantity"]),
        ("checkout_step", ["checkout_step"]),
        ("page_engagement", ["engaged_ms"]),
    ],
)
def test_each_kind_requires_its_ids(kind, required):
    result = ingest(batch(app_event(1), app_event(2, kind, search_query="")))

    assert sorted(result.rejected[0].fields) == [f"events.1.{name}" for name in required]
    assert all(messages == [f"Required for {kind}."] for messages in result.rejected[0].fields.values())


def test_an_event_after_its_batch_was_sent_or_older_than_a_week_is_refused():
    week = MAX_EVENT_AGE.total_seconds()
    result = ingest(
        batch(
            app_event(1, occurred_at=device_time(-1)),  # a second after sent_at
            app_event(2, occurred_at=device_time(week + 1)),
            app_event(3, occurred_at=device_time(week)),  # exactly a week: still in
            app_event(4, occurred_at=device_time(0)),
        )
    )

    future = "Later than the batch's sent_at: an event cannot happen after its batch was sent."
    old = "More than 7 days before the batch's sent_at: too old to be accepted."
    assert [(refused.index, refused.fields) for refused in result.rejected] == [
        (0, {"events.0.occurred_at": [future]}),
        (1, {"events.1.occurred_at": [old]}),
    ]
    times = sorted(row["occurred_at"] for row in stored())
    assert times == [RECEIVED - MAX_EVENT_AGE, RECEIVED]
    assert counts() == {"in_future": 1, "too_old": 1}


def test_a_device_in_the_far_future_is_corrected_without_overflow():
    sent = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    result = ingest(
        batch(
            app_event(1, occurred_at="9999-12-31T22:59:00Z"),
            app_event(2, occurred_at="0001-01-01T00:00:00Z"),
            sent_at=sent,
        )
    )

    assert result.accepted == 1
    assert result.rejected[0].index == 1
    assert [row["occurred_at"] for row in stored()] == [RECEIVED - timedelta(minutes=1)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([app_event(1)], "body"),
        ("events", "body"),
        ({"events": [app_event(1)]}, "sent_at"),
        ({"sent_at": SENT.isoformat()}, "events"),
        ({"sent_at": SENT.isoformat(), "events": []}, "events"),
        ({"sent_at": SENT.isoformat(), "events": {"0": app_event(1)}}, "events"),
        ({"sent_at": "yesterday", "events": [app_event(1)]}, "sent_at"),
        ({"sent_at": "2026-03-14T09:00:00", "events": [app_event(1)]}, "sent_at"),
        ({"sent_at": SENT.isoformat(), "events": [app_event(1)], "app": "ios"}, "app"),
        ({"sent_at": SENT.isoformat(), "events": [app_event(n) for n in range(101)]}, "events"),
    ],
)
def test_a_batch_of_the_wrong_shape_is_refused_whole(body, field):
    with pytest.raises(ValidationFailed) as refused:
        ingest(body)

    assert refused.value.status == 422
    assert field in refused.value.fields
    assert event_store().count() == 0
    assert counts() == {"batch": 1}


def test_a_control_character_in_the_envelope_refuses_the_batch_and_names_the_field():
    with pytest.raises(EventsRefused) as refused:
        ingest({"sent_at": "2026-03-14\x00T09:00:00Z", "events": [app_event(1)], "x\x1b": 1})

    assert refused.value.code == "invalid_characters"
    assert refused.value.fields == {
        "sent_at": ["Remove the control character U+0000: it is not allowed here."],
        "x\x1b": ["Remove the control character U+001B: it is not allowed here."],
    }
    assert event_store().count() == 0
    assert counts() == {"batch": 1}


def test_a_batch_of_a_hundred_events_is_read():
    result = ingest(batch(*(app_event(n) for n in range(100))))

    assert result.accepted == 100
    assert event_store().count() == 100


def test_a_resent_batch_gets_the_same_answer_and_the_warehouse_keeps_one_event_per_id():
    body = batch(
        app_event(1), app_event(2, "cart_add", product_id=42), app_event(3, "search", search_query="mug")
    )

    first = ingest(body, customer_id=7)
    second = ingest(body, customer_id=7)

    assert first == second
    assert first.accepted == 2
    rows = stored()
    # Stored as sent; compaction keeps one row per event_id (store/base.py). Copies differ
    # at most in received_at (the same here), so whichever it keeps is the event.
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_id.setdefault(row["event_id"], []).append(row)
    assert sorted(by_id) == ["event-0001", "event-0003"]
    for copies in by_id.values():
        assert all(copy == copies[0] for copy in copies)
    # Each refusal is counted each time it is sent.
    assert counts() == {"missing_field": 2}


def test_without_consent_the_event_is_anonymous_and_its_visitor_lasts_one_day():
    ingest(
        batch(
            app_event(1, consent=False, occurred_at=device_time(60)),
            app_event(2, consent=False, occurred_at=device_time(120)),
            app_event(3, consent=False, occurred_at=device_time(86_400)),  # the day before
            app_event(4, consent=True),
        ),
        customer_id=7,
    )

    rows = {row["event_id"]: row for row in stored()}
    first, second, day_before, consented = (rows[f"event-000{n}"] for n in range(1, 5))
    assert (first["customer_id"], first["consent"]) == (None, False)
    assert first["visitor_id"] == second["visitor_id"] != "visitor-aaaa"
    assert day_before["occurred_at"].date() == date(2026, 3, 13)
    assert day_before["visitor_id"] not in (first["visitor_id"], "visitor-aaaa")
    assert (consented["visitor_id"], consented["customer_id"]) == ("visitor-aaaa", 7)
    # The session is the app's, short-lived already: kept, so midnight splits no session.
    assert first["session_id"] == day_before["session_id"] == "session-aaaa"


def test_consent_left_out_follows_the_shop_setting(settings):
    settings.ANALYTICS_CONSENT_BANNER = False
    ingest(batch({key: value for key, value in app_event(1).items() if key != "consent"}), customer_id=7)
    settings.ANALYTICS_CONSENT_BANNER = True
    ingest(batch({key: value for key, value in app_event(2).items() if key != "consent"}), customer_id=7)

    rows = {row["event_id"]: row for row in stored()}
    assert (rows["event-0001"]["consent"], rows["event-0001"]["customer_id"]) == (True, 7)
    assert (rows["event-0002"]["consent"], rows["event-0002"]["customer_id"]) == (False, None)


def test_rejection_counts_add_up_per_day_and_reason():
    rejections_record({Reason.TOO_OLD: 2, Reason.BATCH: 1}, day=TODAY)
    rejections_record({Reason.TOO_OLD: 3, Reason.UNKNOWN_FIELD: 0}, day=TODAY)
    rejections_record({Reason.TOO_OLD: 1}, day=date(2026, 3, 13))

    assert rejected_event_counts(since=date(2026, 3, 13), until=TODAY) == {
        date(2026, 3, 13): {"too_old": 1},
        TODAY: {"too_old": 5, "batch": 1},
    }
    assert rejected_event_counts(since=TODAY, until=TODAY) == {TODAY: {"too_old": 5, "batch": 1}}
