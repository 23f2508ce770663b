"""The page beacon's endpoint: same-origin text/plain JSON of one shape, rate-limited; a
refused beacon names the field at fault and records nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shopstack.analytics.beacon import MAX_ENGAGED_MS
from shopstack.analytics.schema import Kind
from shopstack.analytics.tests.conftest import DESKTOP, recorded
from shopstack.analytics.visitors import SESSION_COOKIE, VISITOR_COOKIE
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db

TEXT = "text/plain;charset=UTF-8"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}


def _send(client: Client, body: object, *, content_type: str = TEXT, headers: dict | None = None):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        "/a/e", data=data, content_type=content_type, headers=SAME_ORIGIN if headers is None else headers
    )


@pytest.fixture
def visited(browser):
    """A browser that has seen a product page (so it holds the visitor and session cookies)."""
    product = make_product(name="Blue mug")
    browser.get(f"/p/{product.slug}/")
    return browser, product


def test_a_beacon_records_the_time_the_page_was_visible_in_the_visit(visited):
    browser, product = visited
    answer = _send(browser, {"path": f"/p/{product.slug}/", "engaged_ms": 15230})

    assert answer.status_code == 204
    view = recorded(Kind.PAGE_VIEW)[0]
    engaged = recorded(Kind.PAGE_ENGAGEMENT)[0]
    assert engaged["engaged_ms"] == 15230
    assert engaged["path"] == f"/p/{product.slug}/"
    assert (engaged["visitor_id"], engaged["session_id"]) == (view["visitor_id"], view["session_id"])
    # Reading the visit only: the beacon neither slides the session nor sets a cookie.
    assert VISITOR_COOKIE not in answer.cookies
    assert SESSION_COOKIE not in answer.cookies


def test_one_beacon_counts_at_most_30_minutes(visited):
    browser, _ = visited
    _send(browser, {"path": "/", "engaged_ms": 5 * 3600 * 1000})

    assert recorded(Kind.PAGE_ENGAGEMENT)[0]["engaged_ms"] == MAX_ENGAGED_MS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"path": "/", "engaged_ms": -1}, "engaged_ms"),
        ({"path": "/", "engaged_ms": "100"}, "engaged_ms"),
        ({"path": "/", "engaged_ms": 1.5}, "engaged_ms"),
        ({"path": "/", "engaged_ms": True}, "engaged_ms"),
        ({"path": "/"}, "engaged_ms"),
        ({"path": "https://evil.example/", "engaged_ms": 10}, "path"),
        ({"path": "//evil.example/", "engaged_ms": 10}, "path"),
        ({"path": "/a\nb", "engaged_ms": 10}, "path"),
        ({"path": "/" + "x" * 600, "engaged_ms": 10}, "path"),
        ({"engaged_ms": 10}, "path"),
        ({"path": "/", "engaged_ms": 10, "visitor_id": "someone-else"}, "visitor_id"),
        ([1, 2], "body"),
        ("not json", "body"),
    ],
)
def test_a_bad_beacon_is_a_400_naming_the_field_and_nothing_is_recorded(visited, body, field):
    browser, _ = visited
    answer = _send(browser, body)

    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]
    assert recorded(Kind.PAGE_ENGAGEMENT) == []


def test_a_beacon_of_another_type_or_too_large_is_refused(visited):
    browser, _ = visited
    as_json = _send(browser, {"path": "/", "engaged_ms": 10}, content_type="application/json")
    as_form = _send(browser, "path=/", content_type="application/x-www-form-urlencoded")
    too_large = _send(browser, {"path": "/", "engaged_ms": 10, "pad": "x" * 2000})

    assert as_json.status_code == 415
    assert "Content-Type" in as_json.json()["error"]["fields"]
    assert as_form.status_code == 415
    assert too_large.status_code == 413
    assert "body" in too_large.json()["error"]["fields"]
    assert recorded(Kind.PAGE_ENGAGEMENT) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://shop.testserver"},
        {"Origin": "https://evil.example"},
        {},  # no word from the browser where it comes from
    ],
)
def test_a_beacon_from_another_site_is_refused(visited, headers):
    browser, _ = visited
    answer = _send(browser, {"path": "/", "engaged_ms": 10}, headers=headers)

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "cross_site"
    assert recorded(Kind.PAGE_ENGAGEMENT) == []


def test_an_older_browser_sending_only_origin_is_accepted(visited):
    browser, _ = visited
    answer = _send(browser, {"path": "/", "engaged_ms": 10}, headers={"Origin": "http://testserver"})

    assert answer.status_code == 204


def test_beacons_are_rate_limited_per_client(visited, settings):
    settings.ANALYTICS_BEACON_RATE = "3/m"
    browser, _ = visited
    answers = [_send(browser, {"path": "/", "engaged_ms": 10}).status_code for _ in range(4)]

    assert answers == [204, 204, 204, 429]
    assert len(recorded(Kind.PAGE_ENGAGEMENT)) == 3


def test_only_post_is_answered(visited):
    browser, _ = visited

    assert browser.get("/a/e").status_code == 405


def test_a_beacon_without_consent_is_counted_anonymously(db):
    make_product(name="Blue mug")
    visitor = Client(headers={"User-Agent": DESKTOP, "DNT": "1"})
    visitor.get("/")
    _send(visitor, {"path": "/", "engaged_ms": 700})

    view, engaged = recorded(Kind.PAGE_VIEW)[0], recorded(Kind.PAGE_ENGAGEMENT)[0]
    assert engaged["visitor_id"] == view["visitor_id"]
    assert engaged["visitor_id"].startswith("anon-")
    assert engaged["consent"] is False


def test_the_beacon_keeps_no_secret_of_the_page_path(visited):
    browser, _ = visited
    _send(browser, {"path": "/accounts/password/reset/key/7-abcdefsecret/", "engaged_ms": 10})

    assert "abcdefsecret" not in recorded(Kind.PAGE_ENGAGEMENT)[0]["path"]


def test_with_tracking_off_a_beacon_records_nothing(visited, settings):
    settings.ANALYTICS_TRACKING = False
    browser, _ = visited
    answer = _send(browser, {"path": "/", "engaged_ms": 10})

    assert answer.status_code == 204
    assert recorded(Kind.PAGE_ENGAGEMENT) == []
