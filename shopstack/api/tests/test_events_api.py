"""POST /api/v1/events over HTTP: answers, identity, limits and the published schema.
The rules themselves are tested through the service (analytics/tests/test_ingest.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from shopstack.analytics.rejections import rejected_event_counts
from shopstack.analytics.store import event_store
from shopstack.api.events import EXAMPLE_BATCH, MAX_BODY_BYTES, EventsAcceptedOut
from shopstack.api.tests.conftest import error_of
from shopstack.api.tests.test_auth_throttling import StoppedClock, session_token
from shopstack.api.throttling import ClientEventsThrottle

URL = "/api/v1/events"
# The device's clock runs three hours behind the server's.
DEVICE_LAG = timedelta(hours=3)

pytestmark = pytest.mark.django_db


def device_now() -> datetime:
    return timezone.now() - DEVICE_LAG


def app_event(number: int, kind: str = "page_view", **fields: Any) -> dict[str, Any]:
    """An event; `send` dates it 30 s before its batch's sent_at unless it has a time."""
    return {
        "event_id": f"9f0c1d2e-{number:04d}",
        "kind": kind,
        "visitor_id": "visitor-bbbb",
        "session_id": "session-bbbb",
        "consent": True,
        "device": "tablet",
        **fields,
    }


def batch(*events: dict[str, Any]) -> dict[str, Any]:
    sent_at = device_now()
    occurred_at = (sent_at - timedelta(seconds=30)).isoformat()
    return {
        "sent_at": sent_at.isoformat(),
        "events": [{"occurred_at": occurred_at, **event} for event in events],
    }


def send(client, *events: dict[str, Any], headers: dict[str, str] | None = None, **request: Any):
    body = json.dumps(batch(*events))
    return client.post(URL, body, content_type="application/json", headers=headers or {}, **request)


def stored() -> list[dict[str, Any]]:
    store = event_store()
    return [row for day in store.days() for row in store.read_day(day).events.to_pylist()]


def rejected_today() -> dict[str, int]:
    today = timezone.now().astimezone(UTC).date()
    return dict(rejected_event_counts(since=today, until=today).get(today, {}))


def test_a_good_batch_is_202_and_stored_on_the_server_clock(client):
    before = timezone.now()
    response = send(client, app_event(1), app_event(2, "product_view", product_id=42))
    after = timezone.now()

    assert response.status_code == 202, response.content
    assert EventsAcceptedOut.model_validate(response.json()).model_dump() == {"accepted": 2, "rejected": []}
    rows = stored()
    assert sorted(row["event_id"] for row in rows) == ["9f0c1d2e-0001", "9f0c1d2e-0002"]
    for row in rows:
        # 30 s before sending by the device, three hours behind: 30 s before arrival here.
        assert row["occurred_at"] == row["received_at"] - timedelta(seconds=30)
        assert before <= row["received_at"] <= after
        assert (row["channel"], row["device"], row["customer_id"]) == ("app", "tablet", None)


def test_a_mixed_batch_is_202_with_the_refused_events_listed_and_the_good_ones_stored(client):
    response = send(
        client,
        app_event(1),
        app_event(2, "cart_add", quantity=1),
        app_event(3, "search", search_query="blue\x00mug"),
        app_event(4, "search", search_query="blue mug"),
    )

    assert response.status_code == 202
    body = EventsAcceptedOut.model_validate(response.json()).model_dump()
    assert body == {
        "accepted": 2,
        "rejected": [
            {
                "index": 1,
                "event_id": "9f0c1d2e-0002",
                "fields": {"events.1.product_id": ["Required for cart_add."]},
            },
            {
                "index": 2,
                "event_id": "9f0c1d2e-0003",
                "fields": {
                    "events.2.search_query": ["Remove the control character U+0000: it is not allowed here."]
                },
            },
        ],
    }
    assert sorted(row["event_id"] for row in stored()) == ["9f0c1d2e-0001", "9f0c1d2e-0004"]
    assert rejected_today() == {"missing_field": 1, "invalid_characters": 1}


def test_a_batch_with_no_good_event_is_422_in_the_error_format_and_stores_nothing(client):
    response = send(client, app_event(1, "order_paid"), app_event(2, colour="red"))

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["fields"] == {
        "events.0.kind": ["Only the shop records order_paid events; apps may not send them."],
        "events.1.colour": ["Not a field an app may send."],
    }
    assert event_store().count() == 0
    assert rejected_today() == {"server_only_kind": 1, "unknown_field": 1}


def test_customer_id_comes_from_the_session_token_never_the_body(client, user):
    token = session_token(client, user)
    app = type(client)()  # no cookies: only the token says who this is

    forged = send(app, app_event(1, customer_id=user.pk + 1), headers={"X-Session-Token": token})
    signed_in = send(app, app_event(2), headers={"X-Session-Token": token})
    anonymous = send(app, app_event(3))
    bad_token = send(app, app_event(4), headers={"X-Session-Token": "not-a-session"})

    assert forged.status_code == 422
    assert error_of(forged)["fields"] == {
        "events.0.customer_id": ["Set by the shop, not by apps: leave it out."]
    }
    assert [response.status_code for response in (signed_in, anonymous, bad_token)] == [202, 202, 202]
    # Signing in to get the token is recorded by the shop itself (a login event; from a test
    # client with no User-Agent, so counted apart as a bot, without the customer).
    rows = stored()
    assert [row["kind"] for row in rows].count("login") == 1
    customers = {row["event_id"]: row["customer_id"] for row in rows if row["kind"] != "login"}
    assert customers == {"9f0c1d2e-0002": user.pk, "9f0c1d2e-0003": None, "9f0c1d2e-0004": None}


def test_a_browser_session_cookie_names_no_customer(client, user):
    client.force_login(user)
    assert send(client, app_event(1)).status_code == 202
    assert [row["customer_id"] for row in stored()] == [None]


def test_a_resent_batch_gets_the_same_answer_and_one_event_per_id_survives_dedup(client):
    body = json.dumps(
        batch(app_event(1), app_event(2, "list_view"), app_event(3, "list_view", list_name="mugs"))
    )

    first = client.post(URL, body, content_type="application/json")
    second = client.post(URL, body, content_type="application/json")

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert first.json()["accepted"] == 2
    rows = stored()
    assert len(rows) == 4
    assert {row["event_id"] for row in rows} == {"9f0c1d2e-0001", "9f0c1d2e-0003"}
    assert rejected_today() == {"missing_field": 2}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ({"sent_at": "2026-03-14T09:00:00Z"}, "events"),
        ({"events": []}, "sent_at"),
        ({"sent_at": "2026-03-14T09:00:00Z", "events": [{}] * 101}, "events"),
        ({"sent_at": "2026-03-14T09:00:00Z", "events": [], "debug": True}, "debug"),
    ],
)
def test_a_batch_of_the_wrong_shape_is_422_naming_the_field(client, body, field):
    response = client.post(URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert event_store().count() == 0
    assert rejected_today() == {"batch": 1}


def test_a_body_that_is_not_json_is_400_and_other_media_types_are_415(client):
    broken = client.post(URL, "{'events': [", content_type="application/json")
    deep = client.post(URL, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    form = client.post(URL, "sent_at=now", content_type="application/x-www-form-urlencoded")
    plain = client.post(URL, json.dumps({"sent_at": "x", "events": []}), content_type="text/plain")

    assert (broken.status_code, error_of(broken)["fields"]) == (400, {"body": ["Send one JSON object."]})
    assert deep.status_code == 400
    assert (form.status_code, plain.status_code) == (415, 415)
    assert error_of(plain)["fields"] == {"Content-Type": ["Must be application/json."]}
    assert event_store().count() == 0


def test_a_body_over_the_bound_is_413(client):
    padding = "x" * MAX_BODY_BYTES
    response = send(client, app_event(1, path=padding))

    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert event_store().count() == 0


def test_only_post_is_allowed(client):
    response = client.get(URL)
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_batches_are_rate_limited_per_client_apart_from_other_requests(client, settings, monkeypatch, user):
    monkeypatch.setattr(ClientEventsThrottle, "timer", staticmethod(StoppedClock()))
    settings.API_THROTTLE_EVENTS = "2/m"
    settings.API_THROTTLE_ANON = "1000/m"

    statuses = [send(client, app_event(n)).status_code for n in range(3)]
    limited = send(client, app_event(9))

    assert statuses == [202, 202, 429]
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "throttled"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert event_store().count() == 2
    # Another address, and a signed-in user, have allowances of their own.
    assert send(client, app_event(10), REMOTE_ADDR="10.0.0.9").status_code == 202
    token = session_token(client, user)
    app = type(client)(REMOTE_ADDR="127.0.0.1")
    assert send(app, app_event(11), headers={"X-Session-Token": token}).status_code == 202
    # The rest of the API still answers this address: the events' budget is their own.
    assert client.get("/api/v1/categories").status_code == 200


def test_the_endpoint_and_its_schemas_are_in_the_openapi_document(client):
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/events"]["post"]
    assert set(operation["responses"]) == {"202", "400", "413", "415", "422", "429"}
    body = operation["requestBody"]["content"]["application/json"]
    assert body["schema"]["required"] == ["sent_at", "events"]
    events = body["schema"]["properties"]["events"]
    assert (events["minItems"], events["maxItems"]) == (1, 100)
    event = events["items"]
    assert event["additionalProperties"] is False
    assert set(event["required"]) == {"event_id", "kind", "occurred_at", "visitor_id", "session_id"}
    assert "customer_id" not in event["properties"]
    assert "order_paid" not in event["properties"]["kind"]["enum"]
    assert body["example"]["events"][0]["kind"] == "product_view"
    accepted = operation["responses"]["202"]["content"]["application/json"]["schema"]
    assert accepted == {"$ref": "#/components/schemas/EventsAcceptedOut"}
    assert "RejectedEventOut" in schema["components"]["schemas"]


def test_the_published_example_is_accepted_once_its_times_are_recent(client):
    sent_at = device_now()
    shift = sent_at - datetime.fromisoformat(EXAMPLE_BATCH["sent_at"])
    body = {
        "sent_at": sent_at.isoformat(),
        "events": [
            {**event, "occurred_at": (datetime.fromisoformat(event["occurred_at"]) + shift).isoformat()}
            for event in EXAMPLE_BATCH["events"]
        ],
    }

    response = client.post(URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "rejected": []}
