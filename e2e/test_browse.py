"""A shopper browses home -> category -> product on a phone, a tablet and a desktop."""

from __future__ import annotations

import json

import pytest

from e2e.conftest import open_page
from shopstack.catalog.media import attach_placeholder_images
from shopstack.testing.factories import make_category, make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_shop(media_on_disk):
    home = make_category(name="Home and decor")
    candles = make_category(name="Candles and lights", parent=home)
    products = [
        make_product(
            name="White hanging heart t-light holder with an unusually long name to test wrapping",
            price="2.95",
            category=candles,
            units_sold=500,
            attributes={"Colour": "White"},
        ),
        make_product(name="Red glass candle pot", price="1.25", category=candles, units_sold=50),
        make_product(name="Assorted colour bird ornament", price="1.69", category=home, units_sold=300),
    ]
    for product in products[:2]:
        attach_placeholder_images(product)
    return {"top": home, "leaf": candles, "products": products}


def page_has_no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def assert_images_have_alt(page, *, described: bool) -> None:
    """Every image has an alt attribute; `described` pages must describe every image.

    Listing cards give their image alt="" on purpose: the same link already names the
    product, so a screen reader would read the name twice."""
    assert page.locator("img:not([alt])").count() == 0
    if described:
        alts = page.locator("main img").evaluate_all("images => images.map(i => i.alt.trim())")
        assert alts, "expected product images"
        assert all(alts), f"images without alt text: {alts}"
    # Lazy images below the fold may not have started; none that finished may be broken.
    broken = page.locator("main img").evaluate_all(
        "images => images.filter(i => i.complete && !i.naturalWidth).map(i => i.src)"
    )
    assert broken == [], "an image failed to load"


@pytest.mark.parametrize("viewport", ["phone", "tablet", "desktop"])
def test_browse_home_category_product(browser, live_server, small_shop, screenshot_dir, viewport):
    context, page, errors = open_page(browser, viewport)
    try:
        response = page.goto(live_server.url + "/")
        assert response.status == 200
        assert page.locator("main").count() == 1
        assert page_has_no_horizontal_scroll(page), "home scrolls sideways"
        assert_images_have_alt(page, described=False)
        page.screenshot(path=str(screenshot_dir / f"home-{viewport}.png"), full_page=True)

        page.locator(f'a[href="/c/{small_shop["leaf"].slug}/"]').first.click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/c/{small_shop['leaf'].slug}/")
        assert "Red glass candle pot" in page.content()
        assert page_has_no_horizontal_scroll(page), "category page scrolls sideways"
        assert_images_have_alt(page, described=False)
        page.screenshot(path=str(screenshot_dir / f"category-{viewport}.png"), full_page=True)

        best_seller = small_shop["products"][0]
        page.locator(f'a[href="/p/{best_seller.slug}/"]').first.click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/p/{best_seller.slug}/")
        assert page.locator("h1").inner_text().strip().lower().startswith("white hanging heart")
        assert "2.95" in page.content()
        assert page_has_no_horizontal_scroll(page), "product page scrolls sideways"
        data = [
            json.loads(text)
            for text in page.locator('script[type="application/ld+json"]').all_text_contents()
        ]
        assert any(item.get("@type") == "Product" for item in data)
        assert_images_have_alt(page, described=True)
        page.screenshot(path=str(screenshot_dir / f"product-{viewport}.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_browsing_works_without_javascript(browser, live_server, small_shop):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 812})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + f"/c/{small_shop['leaf'].slug}/?sort=price")
        names = page.locator("main").inner_text()
        assert names.index("Red glass candle pot") < names.index("White hanging heart")
        page.locator(f'a[href="/p/{small_shop["products"][1].slug}/"]').first.click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().strip() == "Red glass candle pot"
    finally:
        context.close()


def test_keyboard_reaches_the_main_content_first(browser, live_server, small_shop):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('href')")
        assert focused == "#main"
    finally:
        context.close()


def test_filters_update_the_results_in_place_with_htmx(browser, live_server, small_shop):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(live_server.url + f"/c/{small_shop['leaf'].slug}/")
        page.evaluate("window.notReloaded = true")
        page.get_by_label("Sort by").select_option("price")
        page.wait_for_url("**sort=price**")
        results = page.locator("#results")
        results.get_by_text("Red glass candle pot").wait_for()
        text = results.inner_text()
        assert text.index("Red glass candle pot") < text.index("White hanging heart")
        assert page.evaluate("window.notReloaded === true"), "the page reloaded instead of swapping"

        page.get_by_label("Maximum price").fill("2")
        page.get_by_label("Maximum price").press("Tab")
        page.wait_for_url("**max_price=2**")
        page.wait_for_function("!document.querySelector('#results').innerText.includes('White hanging')")
        assert "Red glass candle pot" in results.inner_text()
        assert page.evaluate("window.notReloaded === true")
        assert errors == []
    finally:
        context.close()


def test_not_found_page_is_styled_and_fits_a_phone(browser, live_server, small_shop, screenshot_dir):
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    try:
        response = page.goto(live_server.url + "/p/no-such-product/")
        assert response.status == 404
        assert page.locator("h1").inner_text() == "Page not found"
        assert page_has_no_horizontal_scroll(page)
        page.screenshot(path=str(screenshot_dir / "not-found-phone.png"), full_page=True)
    finally:
        context.close()
