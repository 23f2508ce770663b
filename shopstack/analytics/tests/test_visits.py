"""The session cookie live: it slides, ends after 30 quiet minutes or at a new campaign,
carries the signed-in customer, and a forged one is ignored. Times are set by the cookie
and the middleware's clock, never by waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from shopstack.analytics import middleware
from shopstack.analytics.schema import Kind
from shopstack.analytics.sessions import SessionState, campaign_key
from shopstack.analytics.tests.conftest import DESKTOP, recorded
from shopstack.analytics.visitors import (
    NOBODY,
    SESSION_COOKIE,
    VISITOR_COOKIE,
    Identity,
    SessionCookie,
    campaign_tag,
    session_cookie_read,
    session_cookie_value,
)
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
VISITOR = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr(middleware, "clock", lambda: NOW)


@pytest.fixture
def shop():
    return make_product(name="Blue mug")


def _returning(last_at: datetime, *, campaign: str = "", identity: Identity = NOBODY) -> Client:
    """A browser holding the visitor cookie and a session last active at `last_at`."""
    client = Client(headers={"User-Agent": DESKTOP})
    client.cookies[VISITOR_COOKIE] = VISITOR
    state = SessionState("w-held", last_at, campaign_tag(campaign))
    client.cookies[SESSION_COOKIE] = session_cookie_value(SessionCookie(state, identity))
    return client


def test_a_page_within_30_minutes_continues_the_session_and_slides_it(shop):
    response = _returning(NOW - timedelta(minutes=29, seconds=59)).get("/")

    view = recorded(Kind.PAGE_VIEW)[0]
    assert (view["visitor_id"], view["session_id"]) == (VISITOR, "w-held")
    slid = session_cookie_read(response.cookies[SESSION_COOKIE].value)
    assert slid is not None
    assert slid.state.session_id == "w-held"
    assert slid.state.last_at == NOW
    assert response.cookies[SESSION_COOKIE]["max-age"] == 31 * 60  # renewed once a minute at most
    assert response.cookies[SESSION_COOKIE]["httponly"]
    assert response.cookies[SESSION_COOKIE]["samesite"] == "Lax"


def test_30_quiet_minutes_start_a_new_session_for_the_same_visitor(shop):
    _returning(NOW - timedelta(minutes=30)).get("/")

    view = recorded(Kind.PAGE_VIEW)[0]
    assert view["visitor_id"] == VISITOR
    assert view["session_id"] not in ("w-held", "")


def test_a_page_from_another_campaign_starts_a_new_session_and_a_plain_page_does_not(shop):
    spring = campaign_key("news", "email", "spring")
    _returning(NOW - timedelta(minutes=5), campaign=spring).get(
        "/?utm_source=news&utm_medium=email&utm_campaign=spring"
    )
    _returning(NOW - timedelta(minutes=5), campaign=spring).get("/")
    _returning(NOW - timedelta(minutes=5), campaign=spring).get(
        "/?utm_source=ads&utm_medium=cpc&utm_campaign=summer"
    )

    same_campaign, plain, other_campaign = recorded(Kind.PAGE_VIEW)
    assert same_campaign["session_id"] == "w-held"
    assert plain["session_id"] == "w-held"
    assert other_campaign["session_id"] != "w-held"


def test_a_forged_session_cookie_is_ignored(shop, django_user_model):
    client = _returning(NOW - timedelta(minutes=1))
    held = client.cookies[SESSION_COOKIE].value
    payload, _, signature = held.rpartition(".")
    parts = payload.split(".")
    assert parts[3] == ""  # no customer
    # Someone writes a customer into their cookie, to be counted as that customer.
    parts[3] = "42"
    client.cookies[SESSION_COOKIE] = ".".join(parts) + "." + signature

    client.get("/")

    view = recorded(Kind.PAGE_VIEW)[0]
    assert view["customer_id"] is None
    assert view["session_id"] != "w-held"


def test_a_malformed_visitor_cookie_is_replaced(shop):
    client = Client(headers={"User-Agent": DESKTOP})
    client.cookies[VISITOR_COOKIE] = "<script>"

    response = client.get("/")

    fresh = response.cookies[VISITOR_COOKIE].value
    assert len(fresh) == 32
    assert recorded(Kind.PAGE_VIEW)[0]["visitor_id"] == fresh


def test_the_cookies_are_secure_on_https(shop):
    response = Client(headers={"User-Agent": DESKTOP}).get("/", secure=True)

    assert response.cookies[VISITOR_COOKIE]["secure"]
    assert response.cookies[SESSION_COOKIE]["secure"]
    assert response.cookies[VISITOR_COOKIE]["max-age"] == 390 * 86400
    assert "private" in response["Cache-Control"]


def test_cached_pages_know_the_customer_from_the_session_cookie_without_a_query(
    shop, django_user_model, django_assert_max_num_queries
):
    user = django_user_model.objects.create_user("ann@example.com", "pw-12345678")
    client = Client(headers={"User-Agent": DESKTOP})
    client.force_login(user)
    # The mini-cart (loaded on every page) reads the user: the session cookie learns who it is.
    client.get("/")
    client.get("/cart/mini/", headers={"HX-Request": "true"})
    client.get(f"/p/{shop.slug}/")  # fills the page cache

    with django_assert_max_num_queries(1):  # the page's version: nothing for analytics
        client.get(f"/p/{shop.slug}/")

    first, *later = recorded(Kind.PRODUCT_VIEW)
    assert first["customer_id"] == user.pk
    assert [row["customer_id"] for row in later] == [user.pk]


def test_signing_out_forgets_the_customer(shop, django_user_model):
    user = django_user_model.objects.create_user("ann@example.com", "pw-12345678")
    client = Client(headers={"User-Agent": DESKTOP})
    client.force_login(user)
    client.get("/cart/")
    client.post("/accounts/logout/")

    client.get(f"/p/{shop.slug}/")

    assert recorded(Kind.PAGE_VIEW)[0]["customer_id"] == user.pk
    assert recorded(Kind.PRODUCT_VIEW)[0]["customer_id"] is None


def test_the_session_cookie_is_renewed_at_most_once_a_minute(shop, monkeypatch):
    held_at = NOW + timedelta(seconds=10)  # 09:30:10
    monkeypatch.setattr(middleware, "clock", lambda: NOW + timedelta(seconds=50))
    same_minute = _returning(held_at).get("/")
    monkeypatch.setattr(middleware, "clock", lambda: NOW + timedelta(seconds=70))
    next_minute = _returning(held_at).get("/")

    assert SESSION_COOKIE not in same_minute.cookies
    assert session_cookie_read(next_minute.cookies[SESSION_COOKIE].value).state.last_at == NOW + timedelta(
        seconds=70
    )
    assert [row["session_id"] for row in recorded(Kind.PAGE_VIEW)] == ["w-held", "w-held"]
