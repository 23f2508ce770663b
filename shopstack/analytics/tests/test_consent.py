"""Consent: without it a visitor gets no cookie and is counted by a one-day anonymous id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from shopstack.analytics import middleware
from shopstack.analytics.consent import CONSENT_COOKIE
from shopstack.analytics.schema import Kind
from shopstack.analytics.tests.conftest import DESKTOP, recorded
from shopstack.analytics.visitors import SESSION_COOKIE, VISITOR_COOKIE
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ANALYTICS_COOKIES = {VISITOR_COOKIE, SESSION_COOKIE}


@pytest.fixture
def mug():
    return make_product(name="Blue mug")


@pytest.fixture
def at(monkeypatch):
    """Set the middleware's clock: `at(stamp)`."""

    def set_clock(stamp: datetime) -> None:
        monkeypatch.setattr(middleware, "clock", lambda: stamp)

    return set_clock


def _set_cookies(response) -> set[str]:
    return {name for name, morsel in response.cookies.items() if morsel.value}


@pytest.mark.parametrize("signal", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_a_browser_refusing_tracking_gets_no_cookie_and_a_one_day_anonymous_id(signal, mug, at):
    visitor = Client(headers={"User-Agent": DESKTOP, **signal})
    at(NOON)
    first = visitor.get(f"/p/{mug.slug}/")
    at(NOON + timedelta(hours=11, minutes=59))
    same_day = visitor.get("/")
    at(NOON + timedelta(days=1))
    next_day = visitor.get("/")

    for response in (first, same_day, next_day):
        assert response.status_code == 200
        assert not _set_cookies(response) & ANALYTICS_COOKIES
    views = recorded(Kind.PAGE_VIEW)
    ids = [row["visitor_id"] for row in views]
    assert ids[0].startswith("anon-")
    assert ids[0] == ids[1]
    assert ids[2] != ids[1]
    assert all(row["consent"] is False and row["session_id"] == "" for row in views)
    assert recorded(Kind.PRODUCT_VIEW)[0]["visitor_id"] == ids[0]


def test_anonymous_ids_differ_between_browsers_at_one_address(mug):
    Client(headers={"User-Agent": DESKTOP, "DNT": "1"}).get("/")
    Client(headers={"User-Agent": DESKTOP.replace("124.0", "125.0"), "DNT": "1"}).get("/")

    first, second = recorded(Kind.PAGE_VIEW)
    assert first["visitor_id"] != second["visitor_id"]


def test_a_signed_in_customer_counted_anonymously_is_not_named(mug, django_user_model):
    user = django_user_model.objects.create_user("ann@example.com", "pw-12345678")
    visitor = Client(headers={"User-Agent": DESKTOP, "Sec-GPC": "1"})
    visitor.force_login(user)
    visitor.get("/cart/")

    view = recorded(Kind.PAGE_VIEW)[0]
    assert view["customer_id"] is None
    assert view["visitor_id"].startswith("anon-")


def test_refusing_later_removes_the_cookies_given_before(mug):
    visitor = Client(headers={"User-Agent": DESKTOP})
    given = visitor.get("/")
    assert _set_cookies(given) >= ANALYTICS_COOKIES

    refused = visitor.get("/", headers={"DNT": "1"})

    for name in ANALYTICS_COOKIES:
        assert refused.cookies[name].value == ""
        assert refused.cookies[name]["max-age"] == 0


# The banner --------------------------------------------------------------------------


@pytest.fixture
def banner(settings):
    settings.ANALYTICS_CONSENT_BANNER = True


def test_with_the_banner_an_undecided_visitor_is_asked_and_counted_anonymously(banner, browser, mug):
    page = browser.get(f"/p/{mug.slug}/")

    assert b'class="consent-banner"' in page.content
    assert b'action="/a/consent"' in page.content
    assert not _set_cookies(page) & ANALYTICS_COOKIES
    view = recorded(Kind.PAGE_VIEW)[0]
    assert view["consent"] is False
    assert view["visitor_id"].startswith("anon-")


def test_accepting_sets_the_consent_cookie_and_then_the_visitor_cookies(banner, browser, mug):
    answer = browser.post("/a/consent", {"choice": "accept", "next": f"/p/{mug.slug}/"}, headers=_SAME_ORIGIN)

    assert answer.status_code == 303
    assert answer["Location"] == f"/p/{mug.slug}/"
    assert answer.cookies[CONSENT_COOKIE].value == "yes"
    assert answer.cookies[CONSENT_COOKIE]["httponly"]
    page = browser.get(f"/p/{mug.slug}/")
    assert _set_cookies(page) >= ANALYTICS_COOKIES
    assert b'class="consent-banner"' not in page.content
    view = recorded(Kind.PAGE_VIEW)[0]
    assert view["consent"] is True
    assert view["visitor_id"] == page.cookies[VISITOR_COOKIE].value


def test_declining_is_remembered_and_removes_the_banner_and_the_cookies(banner, browser, mug):
    answer = browser.post("/a/consent", {"choice": "decline", "next": "/"}, headers=_SAME_ORIGIN)

    assert answer.cookies[CONSENT_COOKIE].value == "no"
    page = browser.get("/")
    assert b'class="consent-banner"' not in page.content
    assert not _set_cookies(page) & ANALYTICS_COOKIES
    assert recorded(Kind.PAGE_VIEW)[0]["consent"] is False


def test_a_page_cached_with_the_banner_is_not_shown_again_after_the_answer(banner, browser, mug):
    url = f"/p/{mug.slug}/"
    asked = browser.get(url)
    assert asked["ETag"].endswith('-consent"')
    assert "Last-Modified" not in asked
    # Undecided, revalidating: the page has not changed, the banner is still wanted.
    assert browser.get(url, headers={"If-None-Match": asked["ETag"]}).status_code == 304

    browser.post("/a/consent", {"choice": "accept", "next": url}, headers=_SAME_ORIGIN)
    after = browser.get(url, headers={"If-None-Match": asked["ETag"]})

    assert after.status_code == 200
    assert b'class="consent-banner"' not in after.content
    assert not after["ETag"].endswith('-consent"')


def test_the_banner_is_off_by_default_and_no_consent_is_needed(browser, mug):
    page = browser.get("/")

    assert b"consent-banner" not in page.content
    assert _set_cookies(page) >= ANALYTICS_COOKIES


_SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def test_an_answer_from_another_site_is_refused_and_changes_nothing(banner, browser, mug):
    refused = browser.post(
        "/a/consent",
        {"choice": "accept", "next": "/"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )

    assert refused.status_code == 403
    assert CONSENT_COOKIE not in refused.cookies
    assert "origin" in refused.content.decode()


def test_an_answer_that_is_neither_is_a_400_naming_the_field(banner, browser, mug):
    refused = browser.post("/a/consent", {"choice": "maybe"}, headers=_SAME_ORIGIN)

    assert refused.status_code == 400
    assert CONSENT_COOKIE not in refused.cookies
    assert "choice" in refused.content.decode()
    assert "Choose accept or decline." in refused.content.decode()


def test_the_answer_goes_back_only_to_a_page_of_the_shop(banner, browser, mug):
    answer = browser.post(
        "/a/consent", {"choice": "accept", "next": "https://evil.example/"}, headers=_SAME_ORIGIN
    )

    assert answer["Location"] == "/"
