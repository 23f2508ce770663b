"""A shopper searches: suggestions while typing, worked with the keyboard or the mouse, then
the results page with its facets and sorting, on a phone and on a desktop."""

from __future__ import annotations

import pytest

from e2e.conftest import open_page
from shopstack.catalog.media import attach_placeholder_images
from shopstack.testing.factories import make_category, make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def candle_shop(media_on_disk):
    candles = make_category(name="Candles")
    kitchen = make_category(name="Kitchen")
    products = {
        "pot": make_product(
            name="Red glass candle pot",
            price="1.25",
            category=candles,
            units_sold=50,
            attributes={"Colour": "Red"},
        ),
        "holder": make_product(
            name="White heart candle holder",
            price="2.95",
            category=candles,
            units_sold=500,
            attributes={"Colour": "White"},
        ),
        "lantern": make_product(
            name="Candle lantern with glass", price="12.50", category=candles, units_sold=20, stock=0
        ),
        "teapot": make_product(name="Spotty teapot", price="9.99", category=kitchen, units_sold=80),
    }
    attach_placeholder_images(products["holder"])
    return products


def suggestions(page):
    return page.locator("#site-search-suggest [role='option']")


def wait_for_products(page) -> None:
    """Until the list for the whole word typed is in: on a busy machine a pause between two
    key presses sends an earlier prefix first ("c" lists categories only)."""
    page.locator("#site-search-suggest [role='option']", has_text="White heart candle holder").wait_for()


def selected_option(page) -> str:
    return page.locator("#site-search-suggest [aria-selected='true']").inner_text()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_suggestions_follow_the_keyboard(browser, live_server, candle_shop, viewport):
    context, page, errors = open_page(browser, viewport)
    try:
        page.goto(live_server.url + "/")
        box = page.get_by_role("combobox", name="Search products")
        box.press_sequentially("cand", delay=30)
        wait_for_products(page)
        assert box.get_attribute("aria-expanded") == "true"
        texts = suggestions(page).all_inner_texts()
        assert "White heart candle holder" in texts  # best seller among the products
        assert "Spotty teapot" not in texts
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # Arrows move the choice while focus stays in the box, and wrap at either end.
        box.press("ArrowDown")
        first = selected_option(page)
        assert box.get_attribute("aria-activedescendant")
        assert page.evaluate("document.activeElement.id") == "site-search-q"
        box.press("ArrowUp")
        last = selected_option(page)
        assert last == texts[-1]
        box.press("ArrowDown")
        assert selected_option(page) == first

        # Escape closes the list and keeps what was typed; typing again brings it back.
        box.press("Escape")
        assert suggestions(page).count() == 0
        assert box.get_attribute("aria-expanded") == "false"
        assert box.input_value() == "cand"
        box.press_sequentially("l", delay=30)
        wait_for_products(page)

        # Enter opens the option chosen: the holder is the best-selling product.
        for _ in range(suggestions(page).count()):
            box.press("ArrowDown")
            if selected_option(page) == "White heart candle holder":
                break
        box.press("Enter")
        page.wait_for_url(f"**/p/{candle_shop['holder'].slug}/")
        assert page.get_by_role("heading", level=1).inner_text() == "White heart candle holder"
        assert errors == []
    finally:
        context.close()


def test_suggestions_close_when_the_shopper_looks_elsewhere(browser, live_server, candle_shop):
    context, page, errors = open_page(browser, "desktop")
    try:
        page.goto(live_server.url + "/")
        box = page.get_by_role("combobox", name="Search products")
        box.press_sequentially("cand", delay=30)
        wait_for_products(page)
        page.locator("main").click(position={"x": 5, "y": 5})
        assert suggestions(page).count() == 0
        assert box.get_attribute("aria-expanded") == "false"

        # A click on a suggestion is not "elsewhere": it opens it.
        box.click()
        box.press("End")
        box.press_sequentially("l", delay=30)
        suggestions(page).filter(has_text="Red glass candle pot").click()
        page.wait_for_url(f"**/p/{candle_shop['pot'].slug}/")
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_results_page_refines_and_sorts(browser, live_server, candle_shop, screenshot_dir, viewport):
    context, page, errors = open_page(browser, viewport)
    try:
        page.goto(live_server.url + "/")
        box = page.get_by_role("combobox", name="Search products")
        box.fill("candel")  # a typo: the results are for "candle"
        box.press("Enter")
        page.wait_for_url("**/search/?q=candel")
        results = page.locator("#search-results")
        assert "3 products" in results.locator(".search-count").inner_text()
        assert "Spotty teapot" not in results.inner_text()
        assert page.locator(".search-hits img").count() == 1  # the holder's photo; others a placeholder
        assert page.locator(".search-hits .card__placeholder").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        facets = page.locator(".search-facets details")
        if viewport == "phone":
            # Folded, so the products come first; one tap unfolds them.
            assert not facets.evaluate("d => d.open")
            assert not page.get_by_role("link", name="Red (1)").is_visible()
            page.locator(".search-facets summary").click()
        assert facets.evaluate("d => d.open")
        page.screenshot(path=str(screenshot_dir / f"search-{viewport}.png"), full_page=True)

        page.get_by_role("link", name="Red (1)").click()
        page.wait_for_url("**colour=red**")
        assert "1 product" in page.locator(".search-count").inner_text()
        assert "Red glass candle pot" in page.locator(".search-hits").inner_text()
        if viewport == "phone":
            # Folded again over the narrowed results, saying what is chosen.
            assert "(1 chosen)" in page.locator(".search-facets summary").inner_text()
            page.locator(".search-facets summary").click()
        chosen = page.locator(".search-facets a[aria-current='true']")
        assert chosen.inner_text() == "Red (1)"
        chosen.click()  # chosen again: taken off
        page.wait_for_url(lambda url: "colour=" not in url)

        # Sorting applies on change: no button to press.
        assert not page.get_by_role("button", name="Sort").is_visible()
        page.get_by_label("Sort by").select_option("-price")
        page.wait_for_url("**sort=-price**")
        titles = page.locator(".search-hits .card__title").all_inner_texts()
        assert titles == ["Candle lantern with glass", "White heart candle holder", "Red glass candle pot"]
        assert "Out of stock" in page.locator(".search-hits li").first.inner_text()
        assert errors == []
    finally:
        context.close()


def test_searching_works_without_javascript(browser, live_server, candle_shop):
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        page.get_by_label("Search products").fill("candle")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/search/?q=candle")
        # Nothing folds the facets without the script: they stay open, even on a phone.
        assert page.locator(".search-facets details").evaluate("d => d.open")
        page.get_by_label("Sort by").select_option("price")
        page.get_by_role("button", name="Sort").click()
        page.wait_for_url("**sort=price**")
        titles = page.locator(".search-hits .card__title").all_inner_texts()
        assert titles[0] == "Red glass candle pot"
        page.get_by_role("link", name="White (1)").click()
        page.wait_for_url("**colour=white**")
        assert page.locator(".search-hits .card__title").all_inner_texts() == ["White heart candle holder"]
    finally:
        context.close()
