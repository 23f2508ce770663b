"""Page views and what pages are about, recorded by the middleware on real requests."""

from __future__ import annotations

import pytest
from django.test import Client

from shopstack.analytics.schema import Channel, Device, Kind
from shopstack.analytics.tests.conftest import DESKTOP, GOOGLEBOT, PHONE, TABLET, recorded
from shopstack.analytics.visitors import SESSION_COOKIE, VISITOR_COOKIE
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    top = make_category(name="Kitchen")
    return {"top": top, "mug": make_product(name="Blue mug", price="7.50", category=top)}


def test_a_product_page_records_a_page_view_and_a_product_view(browser, catalog):
    mug = catalog["mug"]

    response = browser.get(f"/p/{mug.slug}/")

    assert response.status_code == 200
    view, about = recorded(Kind.PAGE_VIEW), recorded(Kind.PRODUCT_VIEW)
    assert len(view) == 1
    assert len(about) == 1
    assert view[0]["path"] == f"/p/{mug.slug}/"
    assert about[0]["product_id"] == mug.pk
    assert about[0]["visitor_id"] == view[0]["visitor_id"] == response.cookies[VISITOR_COOKIE].value
    assert about[0]["session_id"] == view[0]["session_id"] != ""
    assert view[0]["consent"] is True
    assert view[0]["channel"] == Channel.WEB
    assert view[0]["device"] == Device.DESKTOP
    assert view[0]["is_bot"] is False


def test_a_cached_product_page_and_a_304_still_record_the_product_view(browser, catalog):
    mug = catalog["mug"]
    url = f"/p/{mug.slug}/"
    first = browser.get(url)
    hit = browser.get(url)
    not_modified = browser.get(url, headers={"If-None-Match": first["ETag"]})

    assert first["X-Page-Cache"] == "miss"
    assert hit["X-Page-Cache"] == "hit"
    assert not_modified.status_code == 304
    assert [row["product_id"] for row in recorded(Kind.PRODUCT_VIEW)] == [mug.pk, mug.pk, mug.pk]
    assert len(recorded(Kind.PAGE_VIEW)) == 3
    # One visitor, one session throughout: the cookies came back each time.
    assert len({row["visitor_id"] for row in recorded()}) == 1
    assert len({row["session_id"] for row in recorded()}) == 1


def test_a_category_page_records_a_list_view_with_its_id_also_from_the_cache(browser, catalog):
    top = catalog["top"]
    browser.get(f"/c/{top.slug}/")
    cached = browser.get(f"/c/{top.slug}/")

    assert cached["X-Page-Cache"] == "hit"
    lists = recorded(Kind.LIST_VIEW)
    assert [(row["category_id"], row["list_name"]) for row in lists] == [(top.pk, "category")] * 2


def test_a_missing_page_records_nothing(browser, db):
    assert browser.get("/p/no-such-thing/").status_code == 404
    assert recorded() == []


def test_referrer_from_another_site_and_utm_parameters_are_kept_on_the_page(browser, catalog):
    mug = catalog["mug"]
    browser.get(
        f"/p/{mug.slug}/?utm_source=news&utm_medium=email&utm_campaign=spring&utm_content=hero",
        headers={"Referer": "https://mail.example.net/inbox?id=secret#top"},
    )
    browser.get("/", headers={"Referer": f"http://testserver/p/{mug.slug}/"})

    landing, inside = recorded(Kind.PAGE_VIEW)
    assert landing["referrer"] == "https://mail.example.net/inbox"
    assert (landing["utm_source"], landing["utm_medium"], landing["utm_campaign"]) == (
        "news",
        "email",
        "spring",
    )
    assert landing["utm_content"] == "hero"
    assert recorded(Kind.PRODUCT_VIEW)[0]["utm_campaign"] == "spring"
    assert inside["referrer"] == ""  # the shop's own page is no referrer
    assert inside["utm_source"] == ""
    assert inside["session_id"] == landing["session_id"]


@pytest.mark.parametrize(
    ("agent", "device"), [(DESKTOP, Device.DESKTOP), (PHONE, Device.PHONE), (TABLET, Device.TABLET)]
)
def test_the_device_comes_from_the_user_agent(agent, device, catalog):
    Client(headers={"User-Agent": agent}).get("/")

    assert recorded(Kind.PAGE_VIEW)[0]["device"] == device


def test_a_known_crawler_is_recorded_apart_and_gets_no_cookie(catalog):
    response = Client(headers={"User-Agent": GOOGLEBOT}).get(f"/p/{catalog['mug'].slug}/")

    view = recorded(Kind.PAGE_VIEW)[0]
    assert (view["is_bot"], view["device"]) == (True, Device.BOT)
    assert recorded(Kind.PRODUCT_VIEW)[0]["is_bot"] is True
    assert VISITOR_COOKIE not in response.cookies
    assert view["visitor_id"].startswith("anon-")


def test_a_client_keeping_no_cookies_and_reading_too_fast_becomes_a_bot(catalog, settings):
    settings.ANALYTICS_BOT_PAGES_PER_MINUTE = 20
    # A fresh client per request: it never sends back the cookies it was given.
    for _ in range(40):
        Client(headers={"User-Agent": DESKTOP}).get("/")

    flags = [row["is_bot"] for row in recorded(Kind.PAGE_VIEW)]
    assert len(flags) == 40
    assert flags[:20] == [False] * 20  # within the rate: people
    assert flags[-5:] == [True] * 5  # past it: a bot from then on


def test_a_person_keeping_cookies_is_never_a_bot_however_fast(browser, catalog, settings):
    settings.ANALYTICS_BOT_PAGES_PER_MINUTE = 20
    for _ in range(40):
        browser.get("/")

    assert not any(row["is_bot"] for row in recorded(Kind.PAGE_VIEW))


def test_search_records_the_query_and_the_result_count_and_a_click_its_product(browser, catalog):
    mug = catalog["mug"]
    page = browser.get("/search/", {"q": "mug"})
    assert page.status_code == 200
    click = page.context["hits"][0]["click"]

    assert browser.get(click).status_code == 302

    search = recorded(Kind.SEARCH)[0]
    assert (search["search_query"], search["result_count"]) == ("mug", 1)
    chosen = recorded(Kind.SEARCH_CLICK)[0]
    assert (chosen["search_query"], chosen["product_id"], chosen["position"]) == ("mug", mug.pk, 1)
    assert chosen["session_id"] == search["session_id"]


def test_htmx_fragments_are_no_page_views(browser, catalog):
    browser.get("/cart/mini/", headers={"HX-Request": "true"})
    browser.get("/search/suggest/", {"q": "mu"}, headers={"HX-Request": "true"})

    assert recorded(Kind.PAGE_VIEW) == []


def test_machine_paths_are_no_page_views(browser, catalog):
    browser.get("/robots.txt")
    browser.get("/sitemap.xml")
    browser.get("/api/v1/products")

    assert recorded() == []


def test_secrets_in_a_path_are_not_kept(browser, db):
    browser.get("/accounts/password/reset/key/1-abc-secretkey/", follow=True)

    paths = [row["path"] for row in recorded(Kind.PAGE_VIEW)]
    assert paths
    assert not any("secretkey" in path for path in paths)


def test_with_tracking_off_nothing_is_recorded_and_no_cookie_set(browser, catalog, settings):
    settings.ANALYTICS_TRACKING = False
    response = browser.get(f"/p/{catalog['mug'].slug}/")

    assert response.status_code == 200
    assert b"beacon.js" not in response.content
    assert VISITOR_COOKIE not in response.cookies
    assert SESSION_COOKIE not in response.cookies
    assert recorded() == []


def test_pages_carry_the_beacon_script_from_the_shop_itself(browser, catalog):
    page = browser.get("/").content.decode()

    assert '<script src="/static/shopstack/beacon.js" data-endpoint="/a/e" defer></script>' in page


def test_head_requests_record_nothing(browser, catalog):
    mug = catalog["mug"]
    click = browser.get("/search/", {"q": "mug"}).context["hits"][0]["click"]
    before = recorded()

    assert browser.head(f"/p/{mug.slug}/").status_code == 200
    assert browser.head(click).status_code == 302

    assert recorded() == before
